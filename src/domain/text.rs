//! Text from outside (voter names, `{query.KEY}` values, project names from Top.gg) shown as
//! the literal text it is.
//!
//! Discord renders message content and embed descriptions as markdown, so such text could form
//! masked links, headings, spoilers, quotes or code blocks. Discord's markdown lets a backslash
//! escape any character that is neither a letter, a digit nor white space, and shows that
//! character without the backslash: escaping every markdown character therefore changes what
//! the text looks like in no way except that it cannot format (`voter_4` is sent as
//! `voter\_4` and shown as voter_4). Characters that are invisible or reorder the text (control,
//! bidirectional and zero-width characters) are removed everywhere.

/// The characters Discord's markdown gives a meaning to (emphasis, strike-through, spoilers,
/// code, quotes, headings and lists, masked links, mentions and timestamps, emoji, escapes).
const MARKDOWN: &[char] = &[
    '\\', '*', '_', '~', '`', '|', '>', '<', '#', '-', '[', ']', '(', ')', ':', '@', '+', '.',
];

/// Whether `c` is invisible or changes how the text around it is ordered: ASCII and C1
/// controls (line breaks included), bidirectional marks, embeddings, overrides and isolates,
/// and the zero-width characters.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}'                      // soft hyphen
            | '\u{061C}'                    // Arabic letter mark
            | '\u{180E}'                    // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space, (non-)joiner, LRM, RLM
            | '\u{2028}'..='\u{202E}'       // line/paragraph separators, embeddings, overrides
            | '\u{2060}'..='\u{2069}'       // word joiner, invisible operators, isolates
            | '\u{FEFF}'                    // zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}'       // interlinear annotations
        )
}

/// `text` without its hidden characters, for places Discord shows as plain text (an embed's
/// author name, a modal's title).
pub fn plain(text: &str) -> String {
    text.chars().filter(|&c| !is_hidden(c)).collect()
}

/// `text` for a place Discord renders as markdown: hidden characters removed, every markdown
/// character escaped, so it shows exactly as written and formats nothing.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars().filter(|&c| !is_hidden(c)) {
        if MARKDOWN.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What Discord shows for markdown `text` made only of escapes and plain characters: each
/// escaping backslash dropped. For tests and previews that compare what a reader sees.
pub fn as_shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && !next.is_alphanumeric() && !next.is_whitespace() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_markdown_characters_is_shown_unchanged() {
        for name in [
            "voter_4", "*star*", "a|b", "~x~", "1. first", "- item", "C:\\path",
        ] {
            assert_eq!(as_shown(&literal(name)), name);
        }
        assert_eq!(literal("voter_4"), "voter\\_4");
    }

    #[test]
    fn a_masked_link_cannot_be_formed() {
        let out = literal("[Free Nitro](https://evil.example)");
        assert!(out.starts_with("\\[Free"), "{out}");
        assert!(out.contains("Nitro\\]\\(https"), "{out}");
        assert_eq!(as_shown(&out), "[Free Nitro](https://evil.example)");
    }

    #[test]
    fn headings_spoilers_code_blocks_and_mentions_are_escaped() {
        assert_eq!(literal("# big"), "\\# big");
        assert_eq!(literal("||secret||"), "\\|\\|secret\\|\\|");
        assert_eq!(literal("```x```"), "\\`\\`\\`x\\`\\`\\`");
        assert_eq!(literal("<@123>"), "\\<\\@123\\>");
        assert_eq!(literal("> quote"), "\\> quote");
    }

    #[test]
    fn control_bidi_and_zero_width_characters_are_removed() {
        let hostile = "a\nb\u{202E}c\u{200B}d\u{2066}e\u{FEFF}f\u{0007}g";
        assert_eq!(literal(hostile), "abcdefg");
        assert_eq!(plain(hostile), "abcdefg");
    }

    #[test]
    fn plain_text_keeps_markdown_characters_and_other_scripts() {
        assert_eq!(
            plain("voter_4 *Ünïcødé* 名前 🎉"),
            "voter_4 *Ünïcødé* 名前 🎉"
        );
        assert_eq!(literal("Ünïcødé 名前 🎉"), "Ünïcødé 名前 🎉");
    }
}
