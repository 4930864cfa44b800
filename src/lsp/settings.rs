//! lsp::settings: the server's settings, from `initializationOptions` or
//! `workspace/didChangeConfiguration`, mapped onto the options `mxlint check` takes.
//!
//! ```json
//! {"config": ".mxlint.yml", "isolated": false, "inventory": ["inventory.ini"], "limit": "imap_eu",
//!  "extraVars": ["dovecot_vsz_limit=2G"], "select": ["MX3"], "ignore": ["MX301"]}
//! ```
//!
//! The object may also sit under an `mxlint` key (clients that send every server's section at
//! once). `null` and absent keys keep the default. Relative paths are taken from the workspace
//! root when the client names one. Knows nothing of the protocol: the server turns an `Err`
//! into a message to the user.

use crate::cli::AnsibleArgs;
use crate::config::{ConfigSource, Overrides};
use crate::rules::Selector;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The keys the server reads, as the client spells them.
pub const KEYS: [&str; 7] = [
    "config",
    "isolated",
    "inventory",
    "limit",
    "extraVars",
    "select",
    "ignore",
];

/// What the client asked for; the default is what `mxlint check` does without flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerSettings {
    /// `--config FILE`.
    pub config: Option<PathBuf>,
    /// `--isolated`.
    pub isolated: bool,
    /// `-i`.
    pub inventory: Vec<PathBuf>,
    /// `-l`.
    pub limit: Option<String>,
    /// `-e`.
    pub extra_vars: Vec<String>,
    /// `--select`.
    pub select: Option<Vec<Selector>>,
    /// `--ignore`.
    pub ignore: Vec<Selector>,
}

impl ServerSettings {
    /// Where `check` would take its config file from.
    pub fn config_source(&self) -> ConfigSource {
        match (&self.config, self.isolated) {
            (_, true) => ConfigSource::Isolated,
            (Some(file), false) => ConfigSource::File(file.clone()),
            (None, false) => ConfigSource::Discover,
        }
    }

    /// `-i`, `-l` and `-e`.
    pub fn ansible(&self) -> AnsibleArgs {
        AnsibleArgs {
            inventory: self.inventory.clone(),
            limit: self.limit.clone(),
            extra_vars: self.extra_vars.clone(),
            playbooks: Vec::new(),
        }
    }

    /// `--select` and `--ignore`.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            ..Overrides::default()
        }
    }
}

/// Reads the settings object; every problem is listed in the error (one per line).
pub fn parse(value: &Value, base: Option<&Path>) -> Result<ServerSettings, String> {
    let object = match value {
        Value::Null => return Ok(ServerSettings::default()),
        Value::Object(object) => match object.get("mxlint") {
            Some(Value::Object(inner)) => inner,
            Some(Value::Null) => return Ok(ServerSettings::default()),
            Some(_) => return Err("`mxlint` settings must be an object".into()),
            None => object,
        },
        _ => return Err(format!("settings must be an object, not {}", kind(value))),
    };
    let mut errors = Vec::new();
    let mut settings = ServerSettings::default();
    for (key, value) in object {
        if value.is_null() {
            continue;
        }
        if let Err(e) = set(&mut settings, key, value, base) {
            errors.push(e);
        }
    }
    if settings.isolated && settings.config.is_some() {
        errors.push("`config` and `isolated: true` exclude each other".into());
    }
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors.join("\n"))
    }
}

fn set(
    settings: &mut ServerSettings,
    key: &str,
    value: &Value,
    base: Option<&Path>,
) -> Result<(), String> {
    let under_base = |path: PathBuf| match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    };
    match key {
        "config" => settings.config = Some(under_base(PathBuf::from(string(key, value)?))),
        "isolated" => {
            settings.isolated = value
                .as_bool()
                .ok_or_else(|| expected(key, "true or false", value))?;
        }
        "inventory" => {
            settings.inventory = strings(key, value)?
                .into_iter()
                .map(|p| under_base(PathBuf::from(p)))
                .collect();
        }
        "limit" => settings.limit = Some(string(key, value)?),
        "extraVars" => settings.extra_vars = strings(key, value)?,
        "select" => settings.select = Some(selectors(key, value)?),
        "ignore" => settings.ignore = selectors(key, value)?,
        _ => {
            let hint = crate::suggest::did_you_mean(key, KEYS)
                .map(|close| format!("; did you mean `{close}`?"))
                .unwrap_or_default();
            return Err(format!(
                "unknown setting `{key}`{hint} (known: {})",
                KEYS.join(", ")
            ));
        }
    }
    Ok(())
}

fn string(key: &str, value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| expected(key, "a string", value))
}

/// A list of strings; a lone string is a list of one.
fn strings(key: &str, value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|item| string(key, item)).collect(),
        _ => Err(expected(key, "a list of strings", value)),
    }
}

/// Rule selectors; an entry may hold several separated by commas, as on the command line.
fn selectors(key: &str, value: &Value) -> Result<Vec<Selector>, String> {
    let mut out = Vec::new();
    for entry in strings(key, value)? {
        for part in entry.split(',').filter(|p| !p.trim().is_empty()) {
            out.push(Selector::parse(part).map_err(|e| format!("`{key}`: {e}"))?);
        }
    }
    Ok(out)
}

fn expected(key: &str, what: &str, value: &Value) -> String {
    format!("`{key}` must be {what}, not {}", kind(value))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The settings object of a `workspace/didChangeConfiguration` notification's params.
pub fn of_notification(params: &Value) -> &Value {
    params.get("settings").unwrap_or(&Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_key_maps_to_its_check_option() {
        let base = Path::new("/ws");
        let s = parse(
            &json!({
                "config": "lint/.mxlint.yml",
                "inventory": ["inventory.ini", "/abs/hosts"],
                "limit": "imap_eu",
                "extraVars": ["a=1"],
                "select": ["MX3,MX4"],
                "ignore": ["MX301", "default-vsz-limit-too-small"],
            }),
            Some(base),
        )
        .unwrap();
        assert_eq!(
            s.config_source(),
            ConfigSource::File("/ws/lint/.mxlint.yml".into())
        );
        assert_eq!(
            s.inventory,
            [
                PathBuf::from("/ws/inventory.ini"),
                PathBuf::from("/abs/hosts")
            ]
        );
        assert_eq!(s.limit.as_deref(), Some("imap_eu"));
        assert_eq!(s.extra_vars, ["a=1"]);
        assert_eq!(s.select.as_ref().map(Vec::len), Some(2));
        assert_eq!(s.ignore.len(), 2);
        let isolated = parse(&json!({"mxlint": {"isolated": true}}), None).unwrap();
        assert_eq!(isolated.config_source(), ConfigSource::Isolated);
        assert_eq!(
            parse(&Value::Null, None).unwrap(),
            ServerSettings::default()
        );
        assert_eq!(
            parse(&json!({"limit": null}), None).unwrap(),
            ServerSettings::default()
        );
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let e = parse(&json!({"ignor": ["MX301"]}), None).unwrap_err();
        assert!(e.contains("did you mean `ignore`"), "{e}");
        let e = parse(&json!({"ignore": ["MX999"], "isolated": "yes"}), None).unwrap_err();
        assert!(e.contains("unknown rule selector `MX999`"), "{e}");
        assert!(
            e.contains("`isolated` must be true or false, not a string"),
            "{e}"
        );
        let e = parse(&json!({"config": "x.yml", "isolated": true}), None).unwrap_err();
        assert!(e.contains("exclude each other"), "{e}");
        assert!(parse(&json!([1]), None).is_err());
        assert!(parse(&json!({"mxlint": 3}), None).is_err());
    }
}
