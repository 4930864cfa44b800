//! model::fail2ban::interpolate: the merged store of sections and configparser's
//! `BasicInterpolation` with fail2ban's additions (`BasicInterpolationWithName`,
//! `_map_section_options()`), keeping for every byte of a result the file byte it came from.

use super::Origin;
use crate::parse::fail2ban::{py_repr, Piece};
use crate::source::{FileId, Span};
use indexmap::IndexMap;

/// configparser's `MAX_INTERPOLATION_DEPTH`.
const MAX_DEPTH: usize = 10;
/// A bound on an interpolated value (Python has none; nested references can grow it
/// exponentially, and mxlint must stay bounded).
const MAX_LEN: usize = 1 << 20;

/// Text with the file position of each byte (None: a joining `\n` or a built-in value).
#[derive(Clone, Debug, Default)]
pub(super) struct Src {
    pub text: String,
    pub at: Vec<Option<(FileId, u32)>>,
}

impl Src {
    pub fn from_pieces(pieces: &[Piece]) -> Src {
        let mut src = Src::default();
        for (i, p) in pieces.iter().enumerate() {
            if i > 0 {
                src.text.push('\n');
                src.at.push(None);
            }
            src.text.push_str(&p.text);
            let start = p.span.start() as u32;
            src.at
                .extend((0..p.text.len() as u32).map(|k| Some((p.span.file, start + k))));
        }
        src
    }

    pub fn plain(text: &str) -> Src {
        Src {
            text: text.to_string(),
            at: vec![None; text.len()],
        }
    }

    fn push(&mut self, other: &Src, start: usize, end: usize) {
        self.text.push_str(&other.text[start..end]);
        self.at.extend_from_slice(&other.at[start..end]);
    }

    /// The file bytes behind `start..end`: from the first to the last byte with a position,
    /// when both are in the same file.
    pub fn span(&self, start: usize, end: usize) -> Option<Span> {
        let slice = self.at.get(start..end)?;
        let first = slice.iter().flatten().next()?;
        let last = slice.iter().rev().flatten().next()?;
        (first.0 == last.0 && first.1 <= last.1)
            .then(|| Span::new(first.0, first.1 as usize, last.1 as usize + 1))
    }
}

/// A raw value and where it was set.
#[derive(Clone, Debug)]
pub(super) struct Val {
    pub src: Src,
    pub origin: Option<Origin>,
}

/// All files merged: `[DEFAULT]` and the sections (including `INCLUDES` and `KNOWN/*`).
#[derive(Debug, Default)]
pub(super) struct Merged {
    pub defaults: IndexMap<String, Val>,
    pub sections: IndexMap<String, IndexMap<String, Val>>,
}

impl Merged {
    /// The raw value `get(section, option)` starts from: the section's own, else DEFAULT's.
    pub fn raw(&self, section: &str, option: &str) -> Option<&Val> {
        self.sections
            .get(section)
            .and_then(|s| s.get(option))
            .or_else(|| self.defaults.get(option))
    }

    /// `ConfigParser.get(section, option)`: Ok(None) when the option is not set.
    pub fn get(&self, section: &str, option: &str) -> Result<Option<(Src, Val)>, String> {
        let Some(raw) = self.raw(section, option) else {
            return Ok(None);
        };
        let value = self.interpolate(section, option, raw)?;
        Ok(Some((value, raw.clone())))
    }

    /// Interpolates `raw` as the value of `option` in `section`.
    pub fn interpolate(&self, section: &str, option: &str, raw: &Val) -> Result<Src, String> {
        let mut cx = Cx {
            merged: self,
            section,
            option,
            raw: &raw.src.text,
            out: Src::default(),
        };
        cx.some(&raw.src, 1, &IndexMap::new())?;
        Ok(cx.out)
    }

    /// `_map_section_options()`: `%(sec/opt)s` references in the top-level value.
    fn map_section_options(&self, section: &str, rest: &str, extras: &mut IndexMap<String, Val>) {
        for (sopt, sec, opt) in section_refs(rest) {
            if extras.contains_key(&sopt) || self.raw(section, &sopt).is_some() {
                continue;
            }
            let lower = sec.to_lowercase();
            let found = if lower == "default" {
                self.defaults.get(&opt)
            } else if lower == "known" {
                self.sections
                    .get(&format!("KNOWN/{section}"))
                    .and_then(|s| s.get(&opt))
                    .or_else(|| self.defaults.get(&opt))
            } else {
                match self.sections.get(&sec) {
                    None => continue,
                    Some(s) => s.get(&opt).or_else(|| self.defaults.get(&opt)),
                }
            };
            if let Some(v) = found {
                extras.insert(sopt, v.clone());
            }
        }
    }
}

/// `SECTION_OPTSUBST_CRE` findall: `%\(([\w\-]+/([^\)]+))\)s` → (sopt, sec, opt).
fn section_refs(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("%(") {
        let start = from + at + 2;
        let rest = &text[start..];
        let sec_len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .map_or(rest.len(), |(i, _)| i);
        let after = &rest[sec_len..];
        if sec_len > 0 && after.starts_with('/') {
            let opt_part = &after[1..];
            if let Some(close) = opt_part.find(')') {
                if close > 0 && opt_part[close..].starts_with(")s") {
                    let sec = &rest[..sec_len];
                    let opt = &opt_part[..close];
                    out.push((format!("{sec}/{opt}"), sec.to_string(), opt.to_string()));
                    from = start + sec_len + 1 + close + 2;
                    continue;
                }
            }
        }
        from = from + at + 1;
    }
    out
}

struct Cx<'a> {
    merged: &'a Merged,
    section: &'a str,
    option: &'a str,
    raw: &'a str,
    out: Src,
}

impl Cx<'_> {
    /// `BasicInterpolation._interpolate_some()` behind fail2ban's wrapper, which at every level
    /// copies the map, adds `__name__` and maps the `%(sec/opt)s` references of this level's
    /// text (its guard tests the module's `__name__`, so it always runs).
    fn some(
        &mut self,
        rest: &Src,
        depth: usize,
        parent: &IndexMap<String, Val>,
    ) -> Result<(), String> {
        let mut extras = parent.clone();
        extras.insert(
            "__name__".into(),
            Val {
                src: Src::plain(self.section),
                origin: None,
            },
        );
        self.merged
            .map_section_options(self.section, &rest.text, &mut extras);
        if depth > MAX_DEPTH {
            return Err(format!(
                "Recursion limit exceeded in value substitution: option {} in section {} contains an interpolation key which cannot be substituted in {MAX_DEPTH} steps. Raw value: {}",
                py_repr(self.option),
                py_repr(self.section),
                py_repr(self.raw)
            ));
        }
        let text = rest.text.as_str();
        let mut i = 0;
        while i < text.len() {
            if self.out.text.len() > MAX_LEN {
                return Err("value too long after interpolation".into());
            }
            let Some(p) = text[i..].find('%') else {
                self.out.push(rest, i, text.len());
                return Ok(());
            };
            self.out.push(rest, i, i + p);
            i += p;
            match text.as_bytes().get(i + 1) {
                Some(b'%') => {
                    self.out.push(rest, i, i + 1);
                    i += 2;
                }
                Some(b'(') => {
                    let tail = &text[i + 2..];
                    let Some(close) = tail.find(')').filter(|&c| c > 0) else {
                        return Err(self.bad_reference(&text[i..]));
                    };
                    if !tail[close..].starts_with(")s") {
                        return Err(self.bad_reference(&text[i..]));
                    }
                    let var = tail[..close].to_lowercase();
                    i += 2 + close + 2;
                    let value = self.lookup(&var, &extras)?;
                    if value.text.contains('%') {
                        self.some(&value, depth + 1, &extras)?;
                    } else {
                        self.out.push(&value, 0, value.text.len());
                    }
                }
                _ => {
                    return Err(format!(
                        "'%' must be followed by '%' or '(', found: {}",
                        py_repr(&text[i..])
                    ))
                }
            }
        }
        Ok(())
    }

    fn lookup(&self, var: &str, extras: &IndexMap<String, Val>) -> Result<Src, String> {
        let found = extras
            .get(var)
            .or_else(|| self.merged.raw(self.section, var));
        match found {
            Some(v) => Ok(v.src.clone()),
            None => Err(format!(
                "Bad value substitution: option {} in section {} contains an interpolation key {} which is not a valid option name. Raw value: {}",
                py_repr(self.option),
                py_repr(self.section),
                py_repr(var),
                py_repr(self.raw)
            )),
        }
    }

    fn bad_reference(&self, rest: &str) -> String {
        format!("bad interpolation variable reference {}", py_repr(rest))
    }
}
