//! render::lookups: `lookup()`, `query()`/`q()` and `now()`.
//!
//! Evaluated: `file` (search paths' `files/`, then the paths themselves; trailing whitespace
//! stripped as the plugin's `rstrip` default does), `template` (rendered with the current
//! host's variables), `vars`, and `env` (from [`super::Controller::env`]; a name not given there
//! is an unknown value: Ansible reads the controller's environment at deploy time).
//! Everything else (`pipe`, `password`, vault stores, …) is never run: it renders as the unknown
//! placeholder and yields [`super::ProblemKind::UnevaluatedLookup`].
//!
//! Results follow Ansible 2.19's `wantlist=False` munging: one element → the element; several
//! strings → joined with `,`.

use super::value::RootScope;
use minijinja::value::{Kwargs, Rest};
use minijinja::{Environment, Error, ErrorKind, State, Value};
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("lookup", |state: &State, args: Rest<Value>, kw: Kwargs| {
        let wantlist = kw.get::<Option<bool>>("wantlist")?.unwrap_or(false);
        invoke(state, &args, kw, wantlist)
    });
    for name in ["query", "q"] {
        env.add_function(name, |state: &State, args: Rest<Value>, kw: Kwargs| {
            let _ = kw.get::<Option<bool>>("wantlist")?;
            invoke(state, &args, kw, true)
        });
    }
    env.add_function(
        "now",
        |state: &State, _args: Rest<Value>| -> Result<Value, Error> {
            Ok(scope(state)?
                .ctx
                .unknown("now", "the current time changes on every run"))
        },
    );
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn scope(state: &State) -> Result<Arc<RootScope>, Error> {
    RootScope::of(state).ok_or_else(|| invalid("lookups need a render scope"))
}

fn invoke(state: &State, args: &[Value], kw: Kwargs, wantlist: bool) -> Result<Value, Error> {
    let plugin = args
        .first()
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid("lookup needs a plugin name"))?;
    let plugin = plugin.strip_prefix("ansible.builtin.").unwrap_or(plugin);
    let terms = flatten_terms(&args[1..]);
    let scope = scope(state)?;
    let results = match plugin {
        "file" => file(&scope, &terms, &kw)?,
        "template" => template(state, &scope, &terms)?,
        "vars" => vars(&scope, &terms, &kw)?,
        "env" => env_var(&scope, &terms, &kw)?,
        "list" | "items" => terms.clone(),
        other => {
            // Consume the options so minijinja does not reject them; they do not matter.
            for key in kw.args() {
                let _ = kw.get::<Value>(key);
            }
            return Ok(scope.ctx.unevaluated_lookup(other));
        }
    };
    let _ = kw.get::<Option<String>>("errors");
    kw.assert_all_used()?;
    Ok(munge(results, wantlist))
}

/// Lookup terms: a list argument counts as its items.
fn flatten_terms(args: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for a in args {
        match a.kind() {
            minijinja::value::ValueKind::Seq => out.extend(a.try_iter().into_iter().flatten()),
            _ => out.push(a.clone()),
        }
    }
    out
}

fn munge(results: Vec<Value>, wantlist: bool) -> Value {
    if wantlist {
        return Value::from(results);
    }
    match results.len() {
        0 => Value::from(results),
        1 => results.into_iter().next().unwrap_or_default(),
        _ if results.iter().all(|v| v.as_str().is_some()) => Value::from(
            results
                .iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => Value::from(results),
    }
}

/// `find_file_in_search_path(…, subdir, term)`: `p/subdir/term`, then `p/term`.
fn find(scope: &RootScope, subdir: &str, term: &str) -> Option<PathBuf> {
    let term_path = PathBuf::from(term);
    let job = &scope.ctx.job;
    if term_path.is_absolute() {
        return job.overlay.is_file(&term_path).then_some(term_path);
    }
    let mut roots = job.search_paths.clone();
    if let Some(dir) = job.fullpath.parent() {
        roots.push(dir.to_path_buf());
    }
    roots
        .iter()
        .flat_map(|p| [p.join(subdir).join(term), p.join(term)])
        .find(|p| job.overlay.is_file(p))
}

fn file(scope: &RootScope, terms: &[Value], kw: &Kwargs) -> Result<Vec<Value>, Error> {
    let rstrip = kw.get::<Option<bool>>("rstrip")?.unwrap_or(true);
    let lstrip = kw.get::<Option<bool>>("lstrip")?.unwrap_or(false);
    let mut out = Vec::new();
    for term in terms {
        let name = super::filters::text_of(term)?;
        let path = find(scope, "files", &name)
            .ok_or_else(|| invalid(format!("lookup('file'): could not locate file '{name}'")))?;
        let mut text = (scope.ctx.job.overlay)
            .read_to_string(&path)
            .map_err(|_| invalid(format!("lookup('file'): cannot read '{name}'")))?;
        if rstrip {
            text.truncate(text.trim_end().len());
        }
        if lstrip {
            text = text.trim_start().to_string();
        }
        out.push(Value::from(text));
    }
    Ok(out)
}

fn template(state: &State, scope: &Arc<RootScope>, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for term in terms {
        let name = super::filters::text_of(term)?;
        let path = find(scope, "templates", &name).ok_or_else(|| {
            invalid(format!(
                "lookup('template'): could not locate template '{name}'"
            ))
        })?;
        let text = (scope.ctx.job.overlay)
            .read_to_string(&path)
            .map_err(|_| invalid(format!("lookup('template'): cannot read '{name}'")))?;
        let inner = Value::from_object(RootScope {
            ctx: scope.ctx.clone(),
            host: scope.host,
            top: scope.top,
            emitter: false,
        });
        let syntax = super::guard::Delimiters::of(state.env().syntax());
        super::guard::check_template(&text, &syntax).map_err(super::guard::TooDeep::into_error)?;
        out.push(Value::from(
            state.env().render_named_str(&name, &text, inner)?,
        ));
    }
    Ok(out)
}

fn vars(scope: &Arc<RootScope>, terms: &[Value], kw: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kw.get::<Option<Value>>("default")?;
    let root = Value::from_dyn_object(scope.clone());
    let mut out = Vec::new();
    for term in terms {
        let name = super::filters::text_of(term)?;
        match root.get_attr(&name)? {
            v if v.is_undefined() => match &default {
                Some(d) => out.push(d.clone()),
                None => {
                    return Err(Error::new(
                        ErrorKind::UndefinedError,
                        format!("'{name}' is undefined (lookup('vars'))"),
                    ))
                }
            },
            v => out.push(v),
        }
    }
    Ok(out)
}

fn env_var(scope: &RootScope, terms: &[Value], kw: &Kwargs) -> Result<Vec<Value>, Error> {
    let default = kw.get::<Option<Value>>("default")?;
    let mut out = Vec::new();
    for term in terms {
        let name = super::filters::text_of(term)?;
        let env = &scope.ctx.job.controller.env;
        out.push(match env.get(&name) {
            Some(v) => Value::from(v.clone()),
            // Without a given environment the controller's is unknown until deploy time.
            None if env.is_empty() => scope
                .ctx
                .unknown(&name, "an environment variable of the controller"),
            None => default.clone().unwrap_or_else(|| Value::from("")),
        });
    }
    Ok(out)
}
