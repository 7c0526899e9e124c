package app

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/letapis/letapis/assets"
	"github.com/letapis/letapis/storage/record"
)

// Languages are the interface languages, in the order the language menu
// shows them, each named in itself.
var Languages = []struct{ Code, Name string }{
	{record.LangEnglish, "English"},
	{record.LangBelarusian, "Беларуская"},
	{record.LangRussian, "Русский"},
}

// prefLanguage is the only preference Letapis stores: the interface language
// code. Nothing else, and nothing about records, may go into preferences.
const prefLanguage = "language"

// translator turns English interface strings into the chosen language.
//
// Fyne's lang package picks its language from the system locale and has no
// way to switch at run time, so Letapis keeps its own small translator over
// the same files (assets/translations/*.json, keys are the English strings,
// the format lang.AddTranslationsFS reads). A missing translation falls back
// to the English key. Fyne's own strings (e.g. the Entry context menu) still
// follow the system locale; every dialog button is labelled by Letapis.
type translator struct {
	lang   string
	tables map[string]map[string]string
}

// newTranslator loads the embedded translations.
func newTranslator() (*translator, error) {
	tr := &translator{lang: record.LangEnglish, tables: map[string]map[string]string{}}
	for _, l := range Languages {
		data, err := fs.ReadFile(assets.Translations, "translations/"+l.Code+".json")
		if err != nil {
			return nil, fmt.Errorf("load translations: %w", err)
		}
		t := map[string]string{}
		if err := json.Unmarshal(data, &t); err != nil {
			return nil, fmt.Errorf("load translations %s.json: %w", l.Code, err)
		}
		tr.tables[l.Code] = t
	}
	return tr, nil
}

// set switches the language; an unknown code means English.
func (tr *translator) set(code string) {
	if _, ok := tr.tables[code]; !ok {
		code = record.LangEnglish
	}
	tr.lang = code
}

// T returns key in the current language.
func (tr *translator) T(key string) string {
	if s, ok := tr.tables[tr.lang][key]; ok && s != "" {
		return s
	}
	return key
}

// Tf is T followed by fmt.Sprintf.
func (tr *translator) Tf(key string, args ...any) string {
	return fmt.Sprintf(tr.T(key), args...)
}

// initialLanguage is the saved choice, else the system language if it is
// one of ours, else English.
func initialLanguage(a fyne.App) string {
	if code := a.Preferences().String(prefLanguage); code != "" {
		return code
	}
	sys := strings.ToLower(lang.SystemLocale().LanguageString())
	for _, l := range Languages {
		if strings.HasPrefix(sys, l.Code) {
			return l.Code
		}
	}
	return record.LangEnglish
}

// key marks an English interface string that is translated later, where it
// is shown, so that the translation test finds it in the code.
func key(s string) string { return s }
