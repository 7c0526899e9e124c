package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/letapis/letapis/storage"
	"github.com/letapis/letapis/storage/record"
)

// flagSet returns the flag set of a command, with the global flags
// registered too so that they may follow the command.
func (a *app) flagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	a.globalFlags(fs)
	return fs
}

// parse parses a command's flags, which may be mixed with its positional
// arguments, and checks that there are between min and max positional
// arguments (max < 0: any number). -h, --help and a lone "help" print the
// command's help.
func (a *app) parse(c *command, fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	if len(args) == 1 && args[0] == "help" {
		a.printUsage(c, fs)
		return nil, errHelpShown
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				a.printUsage(c, fs)
				return nil, errHelpShown
			}
			return nil, usageErr(c, flagMessage(err))
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	switch {
	case len(pos) < min:
		return nil, usageErr(c, fmt.Sprintf("%s needs %s", c.name, c.args))
	case max >= 0 && len(pos) > max:
		if max == 0 {
			return nil, usageErr(c, fmt.Sprintf("%s takes no arguments, got %q", c.name, pos[0]))
		}
		return nil, usageErr(c, fmt.Sprintf("too many arguments for %s: %q", c.name, strings.Join(pos[max:], " ")))
	}
	return pos, nil
}

// repeatable marks flag values that may be given more than once.
type repeatable interface{ repeatable() }

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }
func (*listFlag) repeatable()          {}

// values returns the non-empty values; an empty value given alone clears
// a list.
func (l listFlag) values() []string {
	var out []string
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// dateFlag is a partial date flag.
type dateFlag struct{ d record.Date }

func (d *dateFlag) String() string { return d.d.String() }
func (d *dateFlag) Set(s string) error {
	v, err := record.ParseDate(s)
	if err != nil {
		return err
	}
	d.d = v
	return nil
}

// parsedList is a repeatable flag whose values are parsed as they come.
type parsedList[T any] struct {
	items []T
	parse func(string) (T, error)
}

func (p *parsedList[T]) String() string { return "" }
func (p *parsedList[T]) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil // clears the list
	}
	v, err := p.parse(s)
	if err != nil {
		return err
	}
	p.items = append(p.items, v)
	return nil
}
func (*parsedList[T]) repeatable() {}

// splitFields splits "a|b|c" into between min and max trimmed parts.
func splitFields(s string, min, max int, form string) ([]string, error) {
	parts := strings.Split(s, "|")
	if len(parts) < min || len(parts) > max {
		return nil, fmt.Errorf("want %s", form)
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return append(parts, make([]string, max-len(parts))...), nil
}

// applyCtx is what a flag needs to be applied to a body: the open vault,
// to resolve record ids, and standard input.
type applyCtx struct {
	a         *app
	v         *storage.Vault
	stdinUsed string // the flag that read standard input
}

// ref is resolve with errors prefixed by what, e.g. "--victim".
func (c *applyCtx) ref(what, prefix string, kinds ...record.Kind) (string, error) {
	id, err := c.resolve(prefix, kinds...)
	if err != nil && what != "" {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return id, err
}

// resolve resolves an id or unique id prefix to the id of a record of one
// of the given kinds (any kind if none are given). Deleted records are
// refused: they can only be shown.
func (c *applyCtx) resolve(prefix string, kinds ...record.Kind) (string, error) {
	id, err := c.resolveAny(prefix)
	if err != nil {
		return "", err
	}
	r, err := c.v.Get(id)
	if err != nil {
		return "", err
	}
	if len(kinds) > 0 && !slices.Contains(kinds, r.Kind) {
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		return "", fmt.Errorf("%s is %s, not %s", id, withArticle(string(r.Kind)), withArticle(strings.Join(names, " or ")))
	}
	if r.Deleted {
		return "", fmt.Errorf("%s %s was deleted", r.Kind, id)
	}
	return id, nil
}

// withRecord runs a command whose only argument is a record id (or a
// unique prefix of one): it unlocks the vault, resolves the id and calls
// fn with both.
func (a *app) withRecord(c *command, args []string, fn func(v *storage.Vault, id string) error) error {
	return a.withRecordFlags(c, a.flagSet(c), args, fn)
}

// withRecordFlags is withRecord for a command with flags of its own in fs.
func (a *app) withRecordFlags(c *command, fs *flag.FlagSet, args []string, fn func(v *storage.Vault, id string) error) error {
	pos, err := a.parse(c, fs, args, 1, 1)
	if err != nil {
		return err
	}
	return a.withVault(func(v *storage.Vault) error {
		id, err := (&applyCtx{a: a, v: v}).resolveAny(pos[0])
		if err != nil {
			return err
		}
		return fn(v, id)
	})
}

// resolveAny resolves an id or unique id prefix to the id of any record,
// deleted ones included.
func (c *applyCtx) resolveAny(prefix string) (string, error) {
	id, err := c.v.Resolve(prefix)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		if record.IsID(strings.ToLower(strings.TrimSpace(prefix))) {
			return "", fmt.Errorf("no record has the id %s", prefix)
		}
		return "", fmt.Errorf("no record has an id starting with %q", prefix)
	case errors.Is(err, storage.ErrAmbiguous):
		return "", fmt.Errorf("%q is the start of more than one record id; type more of it", prefix)
	case err != nil:
		return "", err
	}
	return id, nil
}

// maxTextBytes bounds text read from a file or standard input, well below
// the envelope size limit.
const maxTextBytes = 8 << 20

// readText reads a text from path, or standard input for "-".
func (c *applyCtx) readText(flagName, path string) (string, error) {
	var r io.Reader
	if path == "-" {
		if c.stdinUsed != "" {
			return "", fmt.Errorf("--%s and --%s cannot both read standard input", c.stdinUsed, flagName)
		}
		c.stdinUsed = flagName
		r = c.a.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("--%s: %w", flagName, err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxTextBytes+1))
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flagName, err)
	}
	if len(b) > maxTextBytes {
		return "", fmt.Errorf("--%s: the text is larger than %d MiB; import it with 'letapis-cli attach' instead", flagName, maxTextBytes>>20)
	}
	return string(b), nil
}

// fields binds a command's flags to the fields of a record body of type
// T. Only the flags that were given are applied, so the same definitions
// serve add (on an empty body) and edit (on the current one).
type fields[T any] struct {
	fs      *flag.FlagSet
	setters map[string]func(t *T, c *applyCtx) error
	paths   map[string]string // flag name -> JSON path of the field it sets
	vocabs  map[string]string // flag name -> vocabulary of its codes
	groups  [][]string        // sets of flags of which only one may be given
	order   []string          // flag names in the order defined, for help
	hints   map[string]string // JSON path -> how to set it, where the flags alone do not say
}

func newFields[T any](fs *flag.FlagSet) *fields[T] {
	return &fields[T]{
		fs:      fs,
		setters: map[string]func(*T, *applyCtx) error{},
		paths:   map[string]string{},
		vocabs:  map[string]string{},
		hints:   map[string]string{},
	}
}

func (f *fields[T]) add(name, path string, v flag.Value, usage string, set func(*T, *applyCtx) error) {
	f.fs.Var(v, name, usage)
	f.setters[name] = set
	f.paths[name] = path
	f.order = append(f.order, name)
}

// str binds a text field. An empty value clears it.
func (f *fields[T]) str(name, path, usage string, dst func(*T) *string) {
	v := new(string)
	f.fs.StringVar(v, name, "", usage)
	f.setters[name] = func(t *T, _ *applyCtx) error { *dst(t) = strings.TrimSpace(*v); return nil }
	f.paths[name] = path
	f.order = append(f.order, name)
}

// code binds a field that holds a code of vocabulary vocab.
func (f *fields[T]) code(name, path, vocab, usage string, dst func(*T) *string) {
	f.str(name, path, usage+", "+codeList(vocab), dst)
	f.vocabs[name] = vocab
}

// codes binds a list of codes of vocabulary vocab.
func (f *fields[T]) codes(name, path, vocab, usage string, dst func(*T) *[]string) {
	f.strs(name, path, usage+", "+codeList(vocab), dst)
	f.vocabs[name] = vocab
}

// strs binds a list field; the flag is repeatable and replaces the list.
func (f *fields[T]) strs(name, path, usage string, dst func(*T) *[]string) {
	v := new(listFlag)
	f.add(name, path, v, usage, func(t *T, _ *applyCtx) error { *dst(t) = v.values(); return nil })
}

// date binds a partial date field. An empty value clears it.
func (f *fields[T]) date(name, path, usage string, dst func(*T) *record.Date) {
	v := new(dateFlag)
	f.add(name, path, v, usage, func(t *T, _ *applyCtx) error { *dst(t) = v.d; return nil })
}

// ref binds a field that holds the id of a record of one of kinds.
func (f *fields[T]) ref(name, path, usage string, kinds []record.Kind, dst func(*T) *string) {
	v := new(string)
	f.fs.StringVar(v, name, "", usage)
	f.setters[name] = func(t *T, c *applyCtx) error {
		if strings.TrimSpace(*v) == "" {
			*dst(t) = ""
			return nil
		}
		id, err := c.ref("--"+name, *v, kinds...)
		if err != nil {
			return err
		}
		*dst(t) = id
		return nil
	}
	f.paths[name] = path
	f.order = append(f.order, name)
}

// refs binds a list of record ids; the flag is repeatable.
func (f *fields[T]) refs(name, path, usage string, kinds []record.Kind, dst func(*T) *[]string) {
	v := new(listFlag)
	f.add(name, path, v, usage, func(t *T, c *applyCtx) error {
		var ids []string
		for _, p := range v.values() {
			id, err := c.ref("--"+name, p, kinds...)
			if err != nil {
				return err
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		*dst(t) = ids
		return nil
	})
}

// text binds a long text field to two flags: NAME for the text itself and
// NAME-file for a file holding it (- for standard input).
func (f *fields[T]) text(name, path, what string, dst func(*T) *string) {
	v := new(string)
	f.fs.StringVar(v, name, "", "the "+what+" `TEXT`")
	f.setters[name] = func(t *T, _ *applyCtx) error { *dst(t) = *v; return nil }
	f.paths[name] = path
	file := new(string)
	f.fs.StringVar(file, name+"-file", "", "read the "+what+" from `FILE` (- for standard input)")
	f.setters[name+"-file"] = func(t *T, c *applyCtx) error {
		s, err := c.readText(name+"-file", *file)
		if err != nil {
			return err
		}
		*dst(t) = s
		return nil
	}
	f.paths[name+"-file"] = path
	f.order = append(f.order, name, name+"-file")
	f.groups = append(f.groups, []string{name, name + "-file"})
}

// given returns the names of the field flags that were given.
func (f *fields[T]) given() []string {
	var names []string
	f.fs.Visit(func(fl *flag.Flag) {
		if _, ok := f.setters[fl.Name]; ok {
			names = append(names, fl.Name)
		}
	})
	return names
}

// check reports flags given together that exclude each other.
func (f *fields[T]) check(c *command) error {
	given := f.given()
	for _, g := range f.groups {
		var both []string
		for _, n := range g {
			if slices.Contains(given, n) {
				both = append(both, "--"+n)
			}
		}
		if len(both) > 1 {
			return usageErr(c, fmt.Sprintf("give only one of %s", strings.Join(both, " and ")))
		}
	}
	return nil
}

// apply sets the fields of the flags that were given.
func (f *fields[T]) apply(t *T, c *applyCtx) error {
	for _, name := range f.given() {
		if err := f.setters[name](t, c); err != nil {
			return err
		}
	}
	return nil
}

// explain adds to a validation error the flags that set the field at
// fault and, for a vocabulary field, the codes it accepts.
func (f *fields[T]) explain(err error) error {
	var fe *record.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	if h, ok := f.hints[fe.Field]; ok {
		return &hintedError{err: err, msg: fe.Error() + " (" + h + ")"}
	}
	best, names := -1, []string(nil)
	for name, path := range f.paths {
		if !pathWithin(fe.Field, path) {
			continue
		}
		switch {
		case len(path) > best:
			best, names = len(path), []string{name}
		case len(path) == best:
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return err
	}
	slices.Sort(names)
	var hint []string
	for _, n := range names {
		hint = append(hint, "--"+n)
	}
	msg := fe.Error() + " (set with " + strings.Join(hint, " or ")
	if vocab := f.vocabs[names[0]]; vocab != "" && strings.Contains(fe.Problem, "not a code") {
		msg += "; " + codeList(vocab)
	}
	return &hintedError{err: err, msg: msg + ")"}
}

// pathWithin reports whether field is path or inside it: "names[0].family"
// is within "names[0]" and "names".
func pathWithin(field, path string) bool {
	if !strings.HasPrefix(field, path) {
		return false
	}
	rest := field[len(path):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// codeList describes the built-in codes of a vocabulary.
func codeList(vocab string) string {
	terms := record.BuiltinTerms(vocab)
	codes := make([]string, len(terms))
	for i, t := range terms {
		codes[i] = t.Code
	}
	return "one of: " + strings.Join(codes, ", ")
}

// withArticle puts "a" or "an" before a kind name.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}
