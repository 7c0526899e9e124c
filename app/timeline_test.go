package app

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/letapis/letapis/storage/record"
)

// describe writes an entry as "kind code start length", e.g.
// "incident shizo 2023-03-01 10" or "custody sizo 2021-06-05 ongoing 51".
func describe(e timelineEntry) string {
	kinds := map[entryKind]string{entryArrest: "arrest", entryCustody: "custody", entryTransfer: "transfer",
		entryVerdict: "verdict", entryIncident: "incident", entryRelease: "release"}
	s := kinds[e.Kind]
	if e.Code != "" {
		s += " " + e.Code
	}
	start := e.Start.String()
	if start == "" {
		start = "?"
	}
	s += " " + start
	if !e.Known {
		return s
	}
	if e.Ongoing {
		s += " ongoing"
	}
	n := fmt.Sprint(e.Days.Min)
	if e.Days.Max != e.Days.Min {
		n += "-" + fmt.Sprint(e.Days.Max)
	}
	if e.Days.Approx {
		n = "~" + n
	}
	return s + " " + n
}

func TestBuildTimeline(t *testing.T) {
	d := record.MustDate
	today := time.Date(2024, 3, 1, 15, 30, 0, 0, time.FixedZone("Minsk", 3*3600))
	incident := func(typ, from, to string) incidentRecord {
		in := &record.Incident{Type: typ, Victims: []string{"p"}}
		if from != "" {
			in.From = d(from)
		}
		if to != "" {
			in.To = d(to)
		}
		return incidentRecord{ID: typ + from, Incident: in}
	}
	tests := []struct {
		name      string
		cases     []caseRecord
		incidents []incidentRecord
		want      []string
	}{
		{
			name:      "punishment cell of 10 days",
			incidents: []incidentRecord{incident("shizo", "2023-03-01", "2023-03-11")},
			want:      []string{"incident shizo 2023-03-01 10"},
		},
		{
			name:      "ends known to the month give bounds",
			incidents: []incidentRecord{incident("pkt", "2023-03", "2023-04")},
			want:      []string{"incident pkt 2023-03 1-60"},
		},
		{
			name:      "an estimated start makes the length an estimate",
			incidents: []incidentRecord{incident("solitary", "~2022-05-01", "2022-05-31")},
			want:      []string{"incident solitary ~2022-05-01 ~30"},
		},
		{
			name:      "open incommunicado counts up to today",
			incidents: []incidentRecord{incident("incommunicado", "2024-01-10", "")},
			want:      []string{"incident incommunicado 2024-01-10 ongoing 51"},
		},
		{
			name:      "open incommunicado known to the month",
			incidents: []incidentRecord{incident("incommunicado", "2024-01", "")},
			want:      []string{"incident incommunicado 2024-01 ongoing 30-60"},
		},
		{
			name:      "a single event has no length",
			incidents: []incidentRecord{incident("torture", "2021-06-04", "")},
			want:      []string{"incident torture 2021-06-04"},
		},
		{
			name: "partial dates sort at their first day, unknown dates last",
			incidents: []incidentRecord{
				incident("other", "", ""),
				incident("torture", "2022-01-15", ""),
				incident("sgbv", "2022-01", ""),
				incident("unfair-trial", "~2022", ""),
				incident("forced-labour", "2021-12-31", "2022-02-01"),
			},
			want: []string{
				"incident forced-labour 2021-12-31 32",
				"incident unfair-trial ~2022",
				"incident sgbv 2022-01",
				"incident torture 2022-01-15",
				"incident other ?",
			},
		},
		{
			name: "a case: spells end where the next begins, the last is ongoing",
			cases: []caseRecord{{ID: "c", Case: &record.Case{
				Person: "p", Arrested: d("2021-06-03"), Verdict: d("2021-12-20"), Sentence: "5 years",
				Facilities: []record.Spell{
					{Facility: "IK-9", Kind: "ik", From: d("2022-01")},
					{Facility: "IVS", Kind: "ivs", From: d("2021-06-03"), To: d("2021-06-05")},
					{Facility: "SIZO-1", Kind: "sizo", From: d("2021-06-05")},
				},
			}}},
			incidents: []incidentRecord{incident("shizo", "2023-03-01", "2023-03-11")},
			want: []string{
				"arrest 2021-06-03",
				"custody ivs 2021-06-03 2",
				"transfer sizo 2021-06-05 210-240",
				"verdict 2021-12-20",
				"transfer ik 2022-01 ongoing 760-790",
				"incident shizo 2023-03-01 10",
			},
		},
		{
			name: "a released person's last spell ends at the release",
			cases: []caseRecord{{ID: "c", Case: &record.Case{
				Person: "p", Arrested: d("2020-08-10"), Released: d("2020-08-25"),
				Facilities: []record.Spell{{Facility: "Akrestsina", Kind: "tsip", From: d("2020-08-10")}},
			}}},
			want: []string{
				"arrest 2020-08-10",
				"custody tsip 2020-08-10 15",
				"release 2020-08-25",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range buildTimeline(tc.cases, tc.incidents, today) {
				got = append(got, describe(e))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("timeline:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
