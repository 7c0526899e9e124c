// Package assets holds the files bundled into the Letapis desktop app: the
// icon and the interface translations.
package assets

import (
	"embed"
	_ "embed" // for the icon

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon (512×512 PNG).
var Icon fyne.Resource = fyne.NewStaticResource("icon.png", iconPNG)

// Translations holds translations/en.json, be.json and ru.json: flat JSON
// objects whose keys are the English interface strings. The files use the
// format that fyne.io/fyne/v2/lang.AddTranslationsFS accepts.
//
//go:embed translations/*.json
var Translations embed.FS
