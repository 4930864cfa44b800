//! parse::dovecot::fast: hand-written shortcuts for the line shapes that make up nearly every
//! real file, so that pest runs only on the rest.
//!
//! The grammar stays the specification: each shortcut either returns exactly what the grammar
//! would, or `None` to hand the line to pest. `tests::fast_paths_agree_with_the_grammar` checks
//! that on generated lines.

use super::{unescape_23, unescape_24, LineCtx, LineKind, Physical, Range, Text, Value, ValueKind};
use crate::model::dovecot::DovecotVersion;

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `physical_line`: Dovecot's comment scan (`config_parse_line()`), in one pass. A quote skips
/// to its match (`\x` skips x); without a match the scan stops and no `#` after it counts.
pub(super) fn physical(line: &str, base: usize) -> Option<Physical> {
    let bytes = line.as_bytes();
    let range = |s: usize, e: usize| Range {
        start: base + s,
        end: base + e,
    };
    let start = bytes
        .iter()
        .position(|&b| !is_blank(b))
        .unwrap_or(bytes.len());
    let (mut p, mut hash, mut open) = (start, None, None);
    while p < bytes.len() {
        match bytes[p] {
            quote @ (b'"' | b'\'') => {
                let opened = p;
                p += 1;
                while p < bytes.len() && bytes[p] != quote {
                    p += if bytes[p] == b'\\' && p + 1 < bytes.len() {
                        2
                    } else {
                        1
                    };
                }
                if p >= bytes.len() {
                    open = Some(opened);
                    break;
                }
                p += 1;
            }
            b'#' => {
                hash = Some(p);
                break;
            }
            _ => p += 1,
        }
    }
    let body_end = hash.unwrap_or(bytes.len());
    let end = start
        + bytes[start..body_end]
            .iter()
            .rposition(|&b| !is_blank(b))
            .map_or(0, |i| i + 1);
    Some(Physical {
        content: (end > start).then(|| range(start, end)),
        comment: hash.map(|h| range(h, bytes.len())),
        open_quote: open.map(|o| range(o, end)),
    })
}

/// Characters of a key or section word that no special case of the grammar looks at.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/')
}

fn word_end(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..].iter().take_while(|&&b| is_word(b)).count()
}

fn skip_blanks(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..].iter().take_while(|&&b| is_blank(b)).count()
}

/// `logical_line_23`/`_24` for `}`, `key = plain value`, `keyword {` and `keyword name {`.
/// `grammar` is the line as the grammar sees it; texts come from `cx.original`.
pub(super) fn kind(grammar: &str, cx: &LineCtx<'_>) -> Option<LineKind> {
    let bytes = grammar.as_bytes();
    if bytes == b"}" {
        return Some(LineKind::SectionEnd);
    }
    let key_end = word_end(bytes, 0);
    if key_end == 0 {
        return None;
    }
    let after_key = skip_blanks(bytes, key_end);
    let text = |start: usize, end: usize| Text {
        text: cx.original[start..end].into(),
        span: cx.span(start, end),
    };
    match bytes.get(after_key) {
        Some(b'=') => {
            let value_start = skip_blanks(bytes, after_key + 1);
            let value = &bytes[value_start..];
            if let Some(quoted) = quoted_value(cx, value_start, value) {
                return Some(LineKind::KeyValue {
                    key: text(0, key_end),
                    value: quoted,
                });
            }
            let special = |b: &u8| matches!(b, b'"' | b'\'' | b'$');
            if value.first() == Some(&b'<') || value.iter().any(special) {
                return None;
            }
            Some(LineKind::KeyValue {
                key: text(0, key_end),
                value: Value {
                    kind: ValueKind::Plain,
                    text: cx.original[value_start..].into(),
                    span: cx.span(value_start, bytes.len()),
                    bad_escape: None,
                },
            })
        }
        Some(b'{') if after_key > key_end && after_key + 1 == bytes.len() => {
            // `group {` is a 2.4 group header gone wrong; leave it to the grammar.
            (&grammar[..key_end] != "group").then(|| LineKind::SectionBegin {
                keyword: text(0, key_end),
                name: None,
            })
        }
        Some(b'"') if after_key > key_end && &grammar[..key_end] != "group" => {
            // `keyword "quoted name" {` without escapes; `{` may follow the closing quote.
            let close = after_key
                + 1
                + bytes[after_key + 1..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\')?;
            let brace = skip_blanks(bytes, close + 1);
            let header = bytes[close] == b'"' && brace + 1 == bytes.len() && bytes[brace] == b'{';
            header.then(|| LineKind::SectionBegin {
                keyword: text(0, key_end),
                name: Some(Text {
                    text: cx.original[after_key + 1..close].into(),
                    span: cx.span(after_key, close + 1),
                }),
            })
        }
        Some(_) if after_key > key_end => {
            let name_end = word_end(bytes, after_key);
            let brace = skip_blanks(bytes, name_end);
            // A bare name runs to the next blank: `imap{` is a name, not `imap` and `{`.
            let header = name_end > after_key
                && brace > name_end
                && brace + 1 == bytes.len()
                && bytes[brace] == b'{';
            (header && &grammar[..key_end] != "group").then(|| LineKind::SectionBegin {
                keyword: text(0, key_end),
                name: Some(text(after_key, name_end)),
            })
        }
        _ => None,
    }
}

/// `"…"` or `'…'` filling the whole value: quotes stripped, escapes per version. A 2.4 escape
/// error goes to the grammar path, which reports it.
fn quoted_value(cx: &LineCtx<'_>, start: usize, value: &[u8]) -> Option<Value> {
    let (&first, &last) = (value.first()?, value.last()?);
    if value.len() < 2 || first != last || !matches!(first, b'"' | b'\'') {
        return None;
    }
    let inner = &cx.original[start + 1..start + value.len() - 1];
    let text = match cx.version {
        DovecotVersion::V2_3 => unescape_23(inner),
        DovecotVersion::V2_4 => unescape_24(inner).ok()?,
    };
    Some(Value {
        kind: ValueKind::Quoted,
        text,
        span: cx.span(start, start + value.len()),
        bad_escape: None,
    })
}
