package reports

import (
	"html"
	"net/url"
	"strings"
)

// Markdown escaping. Text from results (reasons, stderr, names) is data and must not
// become formatting, links or HTML in a job summary.

// rawMark prefixes a table cell that is already Markdown. It is a control character no
// result text contains (mdText strips them), so data cannot forge it.
const rawMark = "\x00md:"

func mdRaw(s string) string { return rawMark + s }

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "|", `\|`, "#", `\#`, "~", `\~`,
	"\n", " ", "\r", " ", "\x00", "",
)

// mdText escapes text for inline Markdown and table cells.
func mdText(s string) string { return mdEscaper.Replace(s) }

func mdBold(s string) string { return mdRaw("**" + mdText(s) + "**") }

// mdCellText escapes a table cell unless it was marked raw.
func mdCellText(s string) string {
	if strings.HasPrefix(s, rawMark) {
		return strings.TrimPrefix(s, rawMark)
	}
	return mdText(s)
}

func htmlText(s string) string { return html.EscapeString(s) }

// safeLink admits only web links: an expectation's link is shown to readers who click it.
func safeLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// mdURL writes a link destination that survives spaces and parentheses.
func mdURL(s string) string {
	if strings.ContainsAny(s, " ()<>") {
		return "<" + strings.NewReplacer("<", "%3C", ">", "%3E").Replace(s) + ">"
	}
	return s
}

// codeFence returns a backtick fence longer than any run of backticks in s.
func codeFence(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
