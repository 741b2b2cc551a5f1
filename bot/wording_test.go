package bot

import (
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/firebreak-hq/firebreak/internal/gosrc"
)

// notForPeople are the calls whose string arguments no person in Slack
// reads: zap's log methods and the errors that end in the log (a person
// is told a refusal worded by templates, never err.Error()) are read by
// whoever runs Firebreak; patterns read what Slack sends.
var notForPeople = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true, "DPanic": true, "Panic": true, "Fatal": true,
	"errors.New": true, "fmt.Errorf": true, "regexp.MustCompile": true,
}

// operatorFields are struct fields that only the log reads: why an
// outbox effect waits (outbox.Later).
var operatorFields = map[string]bool{"Why": true}

// allowedLiterals are strings in bot that read like English but are not
// for people, each with its reason.
var allowedLiterals = map[string]string{
	"connection reset":   "matched in a network error's text to tell a transient failure (slackcall.go)",
	"connection refused": "matched in a network error's text to tell a transient failure (slackcall.go)",
}

// markupInCode is what Slack reads as markup: mentions, channel and
// special links, mrkdwn code and entities.
var markupInCode = regexp.MustCompile("<[@#!]|<https?:|`|&(?:amp|lt|gt);")

// TestNoWordingInBot keeps the Slack edge free of wording: no string
// literal in bot/ (tests aside) reads as English for people or is Slack
// markup. Texts, labels, refusals and markup come from templates.
func TestNoWordingInBot(t *testing.T) {
	fset, files := gosrc.Files(t, ".")
	if len(files) < 20 {
		t.Fatalf("found only %d files to check", len(files))
	}
	for _, file := range files {
		for _, lit := range wordingIn(file) {
			s, _ := strconv.Unquote(lit.Value) // the parser has read it
			at := fset.Position(lit.Pos())
			switch _, allowed := allowedLiterals[s]; {
			case markupInCode.MatchString(s):
				t.Errorf("%s: Slack syntax in bot: %s (templates writes markup)", at, lit.Value)
			case readsAsWords(s) && !allowed:
				t.Errorf("%s: text for people in bot: %s (word it in templates)", at, lit.Value)
			}
		}
	}
}

// wordingIn lists the string literals of file that could reach a person:
// all of them but struct tags, the arguments of notForPeople calls and
// the operatorFields.
func wordingIn(file *ast.File) []*ast.BasicLit {
	var lits []*ast.BasicLit
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			if n.Tag != nil {
				return false
			}
		case *ast.CallExpr:
			if notForPeople[callName(n.Fun)] {
				return false
			}
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && operatorFields[k.Name] {
				return false
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				lits = append(lits, n)
			}
		}
		return true
	})
	return lits
}

// callName is "Warn" for a method call such as log.Warn(…), and
// "fmt.Errorf" for a package function.
func callName(fun ast.Expr) string {
	sel, ok := fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "fmt" || pkg.Name == "errors" || pkg.Name == "regexp") {
		return pkg.Name + "." + sel.Sel.Name
	}
	return sel.Sel.Name
}

// readsAsWords is the shape of a text for people: a space and a letter
// ("Assign me", "is rate-limited"). Keys, ids, formats and verbs-only
// strings such as "inc-%d", "%s:%s" or "15:04" do not have it.
func readsAsWords(s string) bool {
	return strings.ContainsRune(s, ' ') && strings.IndexFunc(s, unicode.IsLetter) >= 0
}
