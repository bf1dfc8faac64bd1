package commands

import (
	"strings"

	"github.com/spf13/pflag"
)

// flagWords is a set flag as words a shell hands back unchanged: one
// --name=value per element of a list flag (its String() is "[a,b]", which
// no flag parses), values quoted where a shell would split them, secrets
// hidden.
func flagWords(f *pflag.Flag) []string {
	vals := []string{f.Value.String()}
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		vals = sv.GetSlice()
	}
	words := make([]string, len(vals))
	for i, v := range vals {
		if isSecretName(f.Name) {
			v = "******"
		}
		words[i] = "--" + f.Name + "=" + quoteWord(v)
	}
	return words
}

// quoteWord double-quotes s when a shell would split or expand it. Double
// quotes mean the same in cmd.exe, PowerShell and POSIX shells for paths
// and names, which is what command lines here carry.
func quoteWord(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'&|<>^;()$`*?!#%") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// splitWords splits a recorded command line at spaces outside double
// quotes, keeping the quotes, so that joining the words gives it back.
func splitWords(s string) []string {
	var words []string
	var b strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
		case (r == ' ' || r == '\t') && !quoted:
			if b.Len() > 0 {
				words = append(words, b.String())
				b.Reset()
			}
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() > 0 {
		words = append(words, b.String())
	}
	return words
}

// pasteLine is a recorded command line as one to paste back: list flags
// recorded by older versions ("--source=[a,b]") as flags again, and the
// config the run used when the line does not name it (it came from
// $HRSYNC_CONFIG or the working folder). Secrets stay hidden: the line
// is already redacted.
func pasteLine(recorded, configPath string) string {
	words := splitWords(recorded)
	hasConfig := false
	for i, w := range words {
		name, v, ok := strings.Cut(w, "=")
		if !ok || !strings.HasPrefix(name, "--") {
			if w == "--config" || w == "-c" {
				hasConfig = true
			}
			continue
		}
		if name == "--config" {
			hasConfig = true
		}
		if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
			words[i] = name + "=" + quoteWord(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
		}
	}
	if !hasConfig && configPath != "" && len(words) > 0 {
		words = append(words, "--config="+quoteWord(configPath))
	}
	return strings.Join(words, " ")
}
