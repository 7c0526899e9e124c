package synth

// Tables of places, roles and institutions. Institutions that could be
// mistaken for real ones (NGOs, courts, judges) are invented and carry the
// marker "(synthetic)".

const synthetic = " (synthetic)"

// place is a Belarusian town and the region (voblasć) it lies in; region is
// empty for Minsk, which is a region of its own.
type place struct{ city, region string }

var places = []place{
	{"Minsk", ""}, {"Minsk", ""}, {"Minsk", ""}, // the capital is over-represented
	{"Brest", "Brest"}, {"Pinsk", "Brest"}, {"Baranavichy", "Brest"}, {"Kobryn", "Brest"},
	{"Hrodna", "Hrodna"}, {"Lida", "Hrodna"}, {"Slonim", "Hrodna"}, {"Vaukavysk", "Hrodna"},
	{"Navahrudak", "Hrodna"}, {"Ashmiany", "Hrodna"},
	{"Homiel", "Homiel"}, {"Mazyr", "Homiel"}, {"Zhlobin", "Homiel"}, {"Rechytsa", "Homiel"},
	{"Svetlahorsk", "Homiel"}, {"Kalinkavichy", "Homiel"},
	{"Mahiliou", "Mahiliou"}, {"Babruisk", "Mahiliou"}, {"Asipovichy", "Mahiliou"},
	{"Vitsebsk", "Vitsebsk"}, {"Orsha", "Vitsebsk"}, {"Polatsk", "Vitsebsk"},
	{"Navapolatsk", "Vitsebsk"}, {"Pastavy", "Vitsebsk"}, {"Hlybokaye", "Vitsebsk"},
	{"Barysau", "Minsk"}, {"Salihorsk", "Minsk"}, {"Maladzechna", "Minsk"},
	{"Slutsk", "Minsk"}, {"Zhodzina", "Minsk"}, {"Dzyarzhynsk", "Minsk"},
}

func (p place) String() string {
	if p.region == "" {
		return p.city
	}
	return p.city + ", " + p.region + " region"
}

// exilePlaces are where testimonies are taken.
var exilePlaces = []string{
	"Vilnius", "Warsaw", "Białystok", "Riga", "Tbilisi", "Berlin", "Prague",
	"Kraków", "Tallinn", "online (encrypted video call)", "online (voice call)",
}

var occupations = []string{
	"journalist", "lawyer", "human rights defender", "trade unionist", "protester",
	"political figure", "student", "doctor", "IT worker", "teacher", "factory worker",
	"entrepreneur", "artist", "musician", "engineer", "volunteer", "blogger",
	"scientist", "priest", "driver", "nurse", "pensioner", "athlete", "election observer",
}

// weighted is a code with a relative weight.
type weighted struct {
	code   string
	weight int
}

// statuses are codes of vocabulary "status".
var statuses = []weighted{
	{"convicted", 45}, {"pretrial", 12}, {"released", 20}, {"incommunicado", 8},
	{"exile", 8}, {"disappeared", 4}, {"died-in-custody", 1},
}

// relations are codes of vocabulary "relation".
var relations = []weighted{
	{"victim", 45}, {"relative", 20}, {"witness", 12}, {"cellmate", 12},
	{"lawyer", 7}, {"other", 4},
}

// sensitivities are codes of vocabulary "sensitivity".
var sensitivities = []weighted{{"normal", 50}, {"high", 35}, {"critical", 15}}

// consentScopes are the codes of vocabulary "consent-scope" in order;
// "team" is always granted.
var consentScopes = []string{"team", "legal", "un-osce", "media-anonymised", "public"}

// claimMakers name who makes each claim type (vocabulary "claim").
var claimMakers = []struct {
	code string
	by   []string
}{
	{"political-prisoner", []string{
		"Human rights centre" + synthetic,
		"Zorka Human Rights Initiative" + synthetic,
		"Northern Rights Watch" + synthetic,
		"Prisoner Support Network" + synthetic,
	}},
	{"prisoner-of-conscience", []string{
		"Conscience Watch International" + synthetic,
		"Free Voice Monitoring Group" + synthetic,
	}},
	{"extremist-listed", []string{
		"Ministry of Internal Affairs list" + synthetic,
		"State security \"terrorist\" list" + synthetic,
	}},
}

var healthNotes = []string{
	"Type 2 diabetes; insulin supply irregular.",
	"Hypertension; relatives report episodes of very high blood pressure.",
	"Asthma; inhaler confiscated on transfer.",
	"Chronic back pain after injuries sustained during arrest.",
	"Heart condition; needs regular cardiology follow-up.",
	"Recovering from surgery; stitches were not removed on time.",
	"Significant weight loss reported by relatives.",
	"Dental infection left untreated for months.",
	"Thyroid condition requiring daily medication.",
	"Deteriorating eyesight; glasses not allowed in the cell.",
}

// Case tables.

// criminalCharges and administrativeCharges are code articles.
var criminalCharges = []string{
	"Criminal Code 342", "Criminal Code 361-1", "Criminal Code 130", "Criminal Code 411",
	"Criminal Code 293", "Criminal Code 363", "Criminal Code 368", "Criminal Code 369",
	"Criminal Code 361-4", "Criminal Code 356",
}

var administrativeCharges = []string{
	"Administrative Code 24.23", "Administrative Code 19.11", "Administrative Code 24.3",
}

var regimes = []weighted{{"general", 50}, {"strict", 35}, {"enhanced", 15}}

var detainingBodies = []string{
	"District police department", "GUBOPiK", "State security (KGB)", "Riot police (OMON)",
	"Investigative Committee", "Transport police",
}

// courtDistricts are invented district names for courts.
var courtDistricts = []string{
	"Northern", "Southern", "Riverside", "Old Town", "Railway", "Factory",
	"Lakeside", "Central", "Eastern", "Western",
}

// Incident tables.

// incidentKind describes how to fake one code of vocabulary
// "incident-type": its usual length in days (0 for a single date), the
// facility kinds where it happens (none: at a court or outside) and what
// is said about it. In what, %s is the place.
type incidentKind struct {
	code             string
	minDays, maxDays int
	facilities       []string
	what             []string
	by               []string
}

var incidentKinds = []incidentKind{
	{"torture", 0, 2, []string{"ivs", "tsip", "sizo"}, []string{
		"Beaten by officers during the admission procedure at %s.",
		"Held in a stress position for several hours during interrogation at %s.",
	}, []string{"Riot police (OMON) unit", "GUBOPiK officers", "Duty shift"}},
	{"medical-denial", 30, 300, []string{"sizo", "ik", "prison"}, []string{
		"Repeated requests for a medical examination at %s were refused.",
		"Medicines sent by the family were not passed on at %s.",
	}, []string{"Medical unit", "Facility administration"}},
	{"shizo", 10, 30, []string{"ik", "prison"}, []string{
		"Placed in the punishment cell (SHIZO) at %s for an alleged breach of the rules.",
		"Served consecutive terms in the punishment cell (SHIZO) at %s.",
	}, []string{"Facility administration", "Security department"}},
	{"pkt", 60, 180, []string{"ik"}, []string{
		"Transferred to cell-type premises (PKT) at %s.",
	}, []string{"Facility administration"}},
	{"solitary", 30, 365, []string{"sizo", "prison"}, []string{
		"Kept in solitary confinement at %s.",
	}, []string{"Facility administration", "State security (KGB)"}},
	{"incommunicado", 60, 700, []string{"sizo", "ik", "prison"}, []string{
		"No letters, visits or lawyer contact while held at %s; the family was not told where the person was.",
	}, []string{"Facility administration", "State security (KGB)"}},
	{"counsel-denial", 7, 120, []string{"ivs", "sizo"}, []string{
		"The lawyer was repeatedly refused access at %s.",
	}, []string{"Investigative Committee", "Facility administration"}},
	{"unfair-trial", 0, 10, nil, []string{
		"The trial at %s was held behind closed doors and the defence could not call witnesses.",
	}, nil},
	{"family-pressure", 7, 200, nil, []string{
		"Relatives in %s were summoned for questioning and threatened with losing their jobs.",
	}, []string{"GUBOPiK officers", "District police department"}},
	{"citizenship-deprivation", 0, 0, nil, []string{
		"Citizenship was revoked by decree while the person was abroad; last residence %s.",
	}, []string{"Presidential administration"}},
	{"forced-labour", 60, 600, []string{"ik"}, []string{
		"Made to work long shifts in the workshop at %s without safety equipment.",
	}, []string{"Facility administration", "Production unit"}},
	{"sgbv", 0, 1, []string{"ivs", "tsip", "sizo"}, []string{
		"Subjected to degrading strip searches and sexual threats at %s.",
	}, []string{"Duty shift", "Riot police (OMON) unit"}},
	{"marking", 90, 900, []string{"ik", "prison"}, []string{
		"Made to wear a yellow tag marking a political prisoner at %s.",
	}, []string{"Facility administration"}},
	{"death-in-custody", 0, 0, []string{"sizo", "ik", "prison"}, []string{
		"Died at %s; the family was told days later and no independent autopsy was allowed.",
	}, []string{"Facility administration", "Medical unit"}},
	{"other", 0, 30, []string{"sizo", "ik"}, []string{
		"Personal letters and notes were confiscated during a search at %s.",
	}, []string{"Security department"}},
}

// incidentNotes are extra sentences of an incident description.
var incidentNotes = []string{
	"Reported by a former cellmate after release.",
	"The family learned of it from a letter that reached them months later.",
	"A complaint to the prosecutor's office was dismissed.",
	"The account is consistent with other testimonies about the same facility.",
	"Dates are approximate.",
	"The lawyer was not allowed to discuss it during the visit.",
	"Medical records were requested but not provided.",
}

// Testimony tables.

var consentExplained = []string{
	"Purpose of documentation, storage and possible sharing explained before the interview.",
	"Explained orally in the interviewee's language; the interviewee asked questions about sharing.",
	"Consent form read aloud; a copy kept by the team.",
}

var consentFears = []string{
	"Reprisals against relatives still in Belarus.",
	"Being identified from details in the account.",
	"Losing a job.",
	"Re-arrest on return.",
}
