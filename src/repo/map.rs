//! repo::map: from a finding in rendered text back to the template line the user edits.
//!
//! The render stage gives, for every piece of output, the template bytes it came from: literal
//! template text maps byte for byte, the output of an `{{ expression }}` maps to the expression.
//! A finding whose span lies in rendered text is moved onto the template. A fix survives when
//! each edit lands in one run of literal template text (so the template reproduces it for every
//! host), or replaces exactly the output of `{{ name }}` whose value is a scalar written verbatim
//! in a vars file: then the edit goes to that value. Any other edit touching an expression's
//! output drops the fix (text that came from a computed value is not the place to fix it).

use crate::diagnostic::{Diagnostic, Label};
use crate::source::{FileId, Span};
use std::ops::Range;

/// One output piece and its origin in a template file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Piece {
    pub out: Range<usize>,
    pub file: FileId,
    pub src: Range<usize>,
    pub expression: bool,
    /// For an expression that prints a variable: where the variable is defined.
    pub origin: Option<Span>,
    /// For `{{ name }}` alone whose output is the text of a scalar in a vars file: that text
    /// (inside any quotes), where an edit of the whole output goes instead.
    pub value: Option<Span>,
}

/// The map of one rendered file.
#[derive(Clone, Debug)]
pub(crate) struct SpanMap {
    pub rendered: FileId,
    /// The main template, where unmappable positions go (its first byte).
    pub template: FileId,
    /// Sorted by `out.start`, not overlapping.
    pub pieces: Vec<Piece>,
}

impl SpanMap {
    /// The template span behind a span of the rendered file (other spans are returned as is).
    pub fn map(&self, span: Span) -> Span {
        if span.file != self.rendered {
            return span;
        }
        let start = self.locate(span.start(), false);
        if span.is_empty() {
            return start;
        }
        let end = self.locate(span.end(), true);
        if start.file == end.file && start.start() <= end.end() {
            Span::new(start.file, start.start(), end.end().max(start.end()))
        } else {
            start
        }
    }

    /// Where an output offset comes from; for an end offset, the byte before it.
    fn locate(&self, offset: usize, is_end: bool) -> Span {
        let probe = if is_end {
            offset.saturating_sub(1)
        } else {
            offset
        };
        let index = self.pieces.partition_point(|p| p.out.end <= probe);
        let Some(piece) = self.pieces.get(index).or_else(|| self.pieces.last()) else {
            return Span::new(self.template, 0, 0);
        };
        if piece.expression {
            return Span::new(piece.file, piece.src.start, piece.src.end);
        }
        let inside = probe.clamp(piece.out.start, piece.out.end.max(piece.out.start));
        let at = (piece.src.start + (inside - piece.out.start)).min(piece.src.end);
        let at = if is_end {
            (at + 1).min(piece.src.end)
        } else {
            at
        };
        Span::new(piece.file, at, at)
    }

    /// The variable definition behind an output span, when it lies in one expression's output.
    fn origin(&self, span: Span) -> Option<Span> {
        if span.file != self.rendered {
            return None;
        }
        let piece = self
            .pieces
            .iter()
            .find(|p| p.expression && p.out.start <= span.start() && span.end() <= p.out.end)?;
        piece.origin
    }

    /// Moves a diagnostic's labels (and, when possible, its fix) onto the templates; a finding
    /// on text that came from a variable also points at the variable's definition.
    pub fn apply(&self, mut d: Diagnostic) -> Diagnostic {
        if let Some(origin) = self.origin(d.primary.span) {
            d.related
                .push(Label::new(origin, "the value comes from here"));
        }
        d.primary = self.label(&d.primary);
        d.related = d.related.iter().map(|l| self.label(l)).collect();
        if let Some(fix) = d.fix.take() {
            d.fix = self.fix(fix);
        }
        d
    }

    fn label(&self, label: &Label) -> Label {
        Label::new(self.map(label.span), label.message.clone())
    }

    fn fix(&self, mut fix: crate::diagnostic::Fix) -> Option<crate::diagnostic::Fix> {
        for edit in &mut fix.edits {
            if edit.span.file != self.rendered {
                continue;
            }
            edit.span = self.edit_span(edit.span.start()..edit.span.end())?;
        }
        Some(fix)
    }

    /// Where an edit of the output range `out` goes, if it has a place the user owns.
    fn edit_span(&self, out: Range<usize>) -> Option<Span> {
        let first = self.pieces.partition_point(|p| p.out.end < out.start);
        let mut touched = self.pieces[first..]
            .iter()
            .take_while(|p| p.out.start <= out.end)
            // A piece only bordering a non-empty edit is not touched by it.
            .filter(|p| out.is_empty() || (p.out.start < out.end && out.start < p.out.end))
            .peekable();
        if out.is_empty() {
            let piece = touched.find(|p| !p.expression)?;
            let at = piece.src.start + (out.start - piece.out.start);
            return Some(Span::new(piece.file, at, at));
        }
        let piece = touched.next()?;
        if piece.expression {
            // The whole output of one `{{ name }}` with a verbatim value: edit the value.
            let whole = piece.out == out && touched.next().is_none();
            return whole.then_some(piece.value).flatten();
        }
        // Literal text, possibly over several pieces that are contiguous in the template too.
        let start = piece.src.start + (out.start - piece.out.start);
        let mut last = piece;
        for next in touched {
            if next.expression || next.file != last.file || next.src.start != last.src.end {
                return None;
            }
            last = next;
        }
        if out.end > last.out.end {
            return None;
        }
        let end = last.src.start + (out.end - last.out.start);
        Some(Span::new(piece.file, start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Applicability, Edit, Fix};

    /// "protocols = {{ p }}\nmax = 1\n" rendered as "protocols = imap\nmax = 1\n".
    fn example() -> SpanMap {
        let (out, tpl) = (FileId(1), FileId(0));
        SpanMap {
            rendered: out,
            template: tpl,
            pieces: vec![
                Piece {
                    out: 0..12,
                    file: tpl,
                    src: 0..12,
                    expression: false,
                    origin: None,
                    value: None,
                },
                Piece {
                    out: 12..16,
                    file: tpl,
                    src: 15..16,
                    expression: true,
                    origin: None,
                    value: Some(Span::new(FileId(5), 30, 34)),
                },
                Piece {
                    out: 16..25,
                    file: tpl,
                    src: 19..28,
                    expression: false,
                    origin: None,
                    value: None,
                },
            ],
        }
    }

    #[test]
    fn literal_text_maps_byte_for_byte_and_expressions_to_their_source() {
        let map = example();
        let out = FileId(1);
        assert_eq!(
            map.map(Span::new(out, 17, 20)),
            Span::new(FileId(0), 20, 23)
        );
        assert_eq!(
            map.map(Span::new(out, 12, 16)),
            Span::new(FileId(0), 15, 16)
        );
        // From literal text into an expression: the whole range.
        assert_eq!(map.map(Span::new(out, 0, 16)), Span::new(FileId(0), 0, 16));
        assert_eq!(
            map.map(Span::new(FileId(7), 1, 2)),
            Span::new(FileId(7), 1, 2)
        );
    }

    #[test]
    fn fixes_survive_only_in_literal_text() {
        let map = example();
        let out = FileId(1);
        let fix = |at: Range<usize>| Fix {
            message: "x".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit::new(Span::new(out, at.start, at.end), "y")],
        };
        let moved = map.fix(fix(17..17)).expect("literal");
        assert_eq!(moved.edits[0].span, Span::new(FileId(0), 20, 20));
        let moved = map.fix(fix(17..20)).expect("literal");
        assert_eq!(moved.edits[0].span, Span::new(FileId(0), 20, 23));
        assert!(map.fix(fix(14..14)).is_none(), "inside a variable's value");
        assert!(map.fix(fix(14..15)).is_none(), "part of a variable's value");
        assert!(
            map.fix(fix(10..14)).is_none(),
            "literal text and part of a value"
        );
        assert!(
            map.fix(fix(11..17)).is_none(),
            "over a value: it would replace the expression for every host"
        );
        // The whole output of the expression: the vars file's value.
        let moved = map.fix(fix(12..16)).expect("value");
        assert_eq!(moved.edits[0].span, Span::new(FileId(5), 30, 34));
        // Insertions at the borders of an expression land in the literal text.
        let moved = map.fix(fix(16..16)).expect("after the value");
        assert_eq!(moved.edits[0].span, Span::new(FileId(0), 19, 19));
    }

    #[test]
    fn literal_runs_must_be_contiguous_in_the_template() {
        let (out, tpl) = (FileId(1), FileId(0));
        // "a\n{% if x %}b\n{% endif %}" rendered as "a\nb\n": two literal pieces with a tag between.
        let map = SpanMap {
            rendered: out,
            template: tpl,
            pieces: vec![
                Piece {
                    out: 0..2,
                    file: tpl,
                    src: 0..2,
                    expression: false,
                    origin: None,
                    value: None,
                },
                Piece {
                    out: 2..4,
                    file: tpl,
                    src: 13..15,
                    expression: false,
                    origin: None,
                    value: None,
                },
            ],
        };
        let fix = |at: Range<usize>| Fix {
            message: "x".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit::new(Span::new(out, at.start, at.end), "y")],
        };
        assert!(map.fix(fix(1..3)).is_none(), "it would delete the tag");
        let moved = map.fix(fix(2..3)).expect("inside one piece");
        assert_eq!(moved.edits[0].span, Span::new(tpl, 13, 14));
    }
}
