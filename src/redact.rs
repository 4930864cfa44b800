//! redact: keeps secrets out of everything mxlint prints.
//!
//! Reporters show source lines around findings; a neighbouring `ssl_key_password = …` must not
//! appear in a terminal or a CI log. [`mask_secrets`] returns a copy of a file's text with the
//! values of secret-looking settings replaced by `*`, byte for byte, so every span stays valid.

/// Words that mark a setting (or an `args` option) as secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "nonce",
    "private_key",
    "token",
];

pub(crate) fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| lower.contains(w))
        || lower.ends_with("_pass")
        || lower.ends_with("api_key")
}

/// `text` with secret values masked, or `None` when there is nothing to mask.
pub fn mask_secrets(text: &str) -> Option<String> {
    let mut masked: Option<Vec<u8>> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        for range in secret_ranges(line) {
            let bytes = masked.get_or_insert_with(|| text.as_bytes().to_vec());
            for b in &mut bytes[offset + range.start..offset + range.end] {
                // Every byte of a masked character becomes `*`: still valid UTF-8, same offsets.
                *b = b'*';
            }
        }
        offset += line.len();
    }
    masked.map(|bytes| String::from_utf8(bytes).expect("only whole characters are masked"))
}

/// A value that is a Jinja expression (a template's source) prints no secret by itself.
fn is_template_expression(value: &str) -> bool {
    let v = value.trim_start_matches(['"', '\'']);
    v.starts_with("{{") || v.starts_with("{%")
}

/// Byte ranges of secret values in one line: `secret_key = VALUE` and `…password=VALUE` options.
fn secret_ranges(line: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let body = line.trim_end_matches(['\n', '\r']);
    let lead = body.len() - body.trim_start().len();
    if let Some(eq) = body.find('=') {
        let key = body[lead..eq].trim().trim_matches('"');
        if is_secret_name(key) {
            let value_start = eq + 1 + (body[eq + 1..].len() - body[eq + 1..].trim_start().len());
            if value_start < body.len() && !is_template_expression(&body[value_start..]) {
                out.push(value_start..body.len());
                return out;
            }
        }
    }
    // YAML `db_password: VALUE` (group_vars, inventories), also as a list item.
    let item = body[lead..].strip_prefix("- ").unwrap_or(&body[lead..]);
    let item_start = body.len() - item.len();
    if let Some(colon) = item.find(": ") {
        let key = item[..colon].trim().trim_matches(['"', '\'']);
        let value = &item[colon + 1..];
        let value_start = item_start + colon + 1 + (value.len() - value.trim_start().len());
        if is_secret_name(key)
            && value_start < body.len()
            && !is_template_expression(&body[value_start..])
        {
            out.push(value_start..body.len());
            return out;
        }
    }
    // `args = … password=VALUE …` (passdb/userdb/dict options).
    let mut search = 0;
    while let Some(found) = body[search..].find('=') {
        let eq = search + found;
        let word_start = body[..eq].rfind([' ', '\t']).map_or(0, |i| i + 1);
        let end = body[eq + 1..]
            .find([' ', '\t'])
            .map_or(body.len(), |i| eq + 1 + i);
        if is_secret_name(&body[word_start..eq])
            && end > eq + 1
            && !is_template_expression(&body[eq + 1..])
        {
            out.push(eq + 1..end);
        }
        search = eq + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_settings_and_options_keeping_lengths() {
        let text = "ssl_key_password = hunter2\nhostname = mail\n  args = username=x password=s3cret scheme=PLAIN\n";
        let masked = mask_secrets(text).unwrap();
        assert_eq!(masked.len(), text.len());
        assert_eq!(
            masked,
            "ssl_key_password = *******\nhostname = mail\n  args = username=x password=****** scheme=PLAIN\n"
        );
    }

    #[test]
    fn masks_yaml_values_of_secret_keys() {
        let text = "db_password: hunter2\n- ansible_become_pass: 'x y'\nport: 5432\n";
        assert_eq!(
            mask_secrets(text).unwrap(),
            "db_password: *******\n- ansible_become_pass: *****\nport: 5432\n"
        );
    }

    #[test]
    fn template_expressions_are_not_masked() {
        assert_eq!(
            mask_secrets("args = password={{ db_password }}\nsql_password = {{ x }}\n"),
            None
        );
    }

    #[test]
    fn leaves_files_without_secrets_alone() {
        assert_eq!(
            mask_secrets("default_vsz_limit = 1G\nssl_key = </etc/pki/key.pem\n"),
            None
        );
    }

    #[test]
    fn masks_multibyte_secrets_without_breaking_utf8() {
        let masked = mask_secrets("imapc_password = pässwörd\n").unwrap();
        assert!(
            masked.starts_with("imapc_password = ") && !masked.contains('ä'),
            "{masked}"
        );
    }
}
