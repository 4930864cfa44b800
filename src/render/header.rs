//! render::header: the template's syntax options — the task's `template` options overlaid by
//! the `#jinja2:` first line — as ansible-core 2.19's `TemplateOverrides` computes them
//! (`_internal/_templating/_jinja_bits.py`, `_extract_template_overrides`).
//!
//! 2.19 rejects unknown keys, empty pairs and pairs without `:`; values are Python literals
//! (`True`, `'<<'`).

/// The `template` task's syntax options (doc fragment `template_common.py`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TemplateOptions {
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
    pub newline_sequence: NewlineSequence,
    pub block_start_string: String,
    pub block_end_string: String,
    pub variable_start_string: String,
    pub variable_end_string: String,
    pub comment_start_string: String,
    pub comment_end_string: String,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        TemplateOptions {
            trim_blocks: true,
            lstrip_blocks: false,
            newline_sequence: NewlineSequence::Lf,
            block_start_string: "{%".into(),
            block_end_string: "%}".into(),
            variable_start_string: "{{".into(),
            variable_end_string: "}}".into(),
            comment_start_string: "{#".into(),
            comment_end_string: "#}".into(),
        }
    }
}

/// `newline_sequence`: what every newline of the template text becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NewlineSequence {
    #[default]
    Lf,
    CrLf,
    Cr,
}

impl NewlineSequence {
    pub fn as_str(self) -> &'static str {
        match self {
            NewlineSequence::Lf => "\n",
            NewlineSequence::CrLf => "\r\n",
            NewlineSequence::Cr => "\r",
        }
    }

    /// Accepts the real characters and their escaped spellings (`'\\n'`), as the action does.
    pub fn parse(s: &str) -> Option<NewlineSequence> {
        match s {
            "\n" | "\\n" => Some(NewlineSequence::Lf),
            "\r\n" | "\\r\\n" => Some(NewlineSequence::CrLf),
            "\r" | "\\r" => Some(NewlineSequence::Cr),
            _ => None,
        }
    }
}

pub(crate) type Options = TemplateOptions;

/// Splits off a `#jinja2:` header: (body, effective options, byte offset of the body).
pub(crate) fn split<'a>(
    text: &'a str,
    task: &TemplateOptions,
) -> Result<(&'a str, TemplateOptions, usize), String> {
    const HEADER: &str = "#jinja2:";
    let Some(rest) = text.strip_prefix(HEADER) else {
        return Ok((text, task.clone(), 0));
    };
    let eol = rest
        .find('\n')
        .ok_or_else(|| format!("missing newline after {HEADER:?} override"))?;
    let mut options = task.clone();
    for pair in rest[..eol].split(',') {
        apply_pair(&mut options, pair)?;
    }
    let offset = HEADER.len() + eol + 1;
    Ok((&text[offset..], options, offset))
}

fn apply_pair(options: &mut TemplateOptions, pair: &str) -> Result<(), String> {
    if pair.trim().is_empty() {
        return Err("empty '#jinja2:' override pair not allowed".into());
    }
    let (key, value) = pair
        .split_once(':')
        .ok_or_else(|| format!("missing key-value separator `:` in '#jinja2:' pair {pair:?}"))?;
    let key = key.trim();
    let value = value.trim();
    let bad = || format!("invalid value for '#jinja2:' override key '{key}'");
    match key {
        "trim_blocks" => options.trim_blocks = literal_bool(value).ok_or_else(bad)?,
        "lstrip_blocks" => options.lstrip_blocks = literal_bool(value).ok_or_else(bad)?,
        "keep_trailing_newline" => {
            // Accepted by 2.19 but overruled by the template action's own newline handling.
            literal_bool(value).ok_or_else(bad)?;
        }
        "newline_sequence" => {
            options.newline_sequence = literal_str(value)
                .and_then(|s| NewlineSequence::parse(&s))
                .ok_or_else(bad)?
        }
        "block_start_string" => options.block_start_string = literal_str(value).ok_or_else(bad)?,
        "block_end_string" => options.block_end_string = literal_str(value).ok_or_else(bad)?,
        "variable_start_string" => {
            options.variable_start_string = literal_str(value).ok_or_else(bad)?
        }
        "variable_end_string" => {
            options.variable_end_string = literal_str(value).ok_or_else(bad)?
        }
        "comment_start_string" => {
            options.comment_start_string = literal_str(value).ok_or_else(bad)?
        }
        "comment_end_string" => options.comment_end_string = literal_str(value).ok_or_else(bad)?,
        "line_statement_prefix" | "line_comment_prefix" => {
            return Err(format!("'#jinja2:' override key '{key}' is not supported"))
        }
        _ => return Err(format!("invalid '#jinja2:' override key '{key}'")),
    }
    Ok(())
}

/// A Python bool literal (`ast.literal_eval` of `True`/`False`).
fn literal_bool(s: &str) -> Option<bool> {
    match s {
        "True" => Some(true),
        "False" => Some(false),
        _ => None,
    }
}

/// A Python string literal in single or double quotes, with the common escapes.
fn literal_str(s: &str) -> Option<String> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = s.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_overrides_task_options() {
        let (body, o, off) = split(
            "#jinja2: trim_blocks: False, variable_start_string: '[['\nx",
            &TemplateOptions::default(),
        )
        .unwrap();
        assert_eq!((body, off), ("x", 57));
        assert!(!o.trim_blocks);
        assert_eq!(o.variable_start_string, "[[");
    }

    #[test]
    fn unknown_keys_are_rejected_like_ansible_2_19() {
        let err = split("#jinja2: foo: True\n", &TemplateOptions::default()).unwrap_err();
        assert!(err.contains("'foo'"), "{err}");
        assert!(split("#jinja2: trim_blocks: True", &TemplateOptions::default()).is_err());
    }
}
