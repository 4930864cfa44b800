//! render::env: the minijinja environment Ansible templates run in.
//!
//! Starts from `Environment::empty()` and registers only what we support, each filter and
//! test under its short name and its FQCN (`ansible.builtin.to_json`, `ansible.utils.ipaddr`),
//! so anything else is a clear "unknown filter" at the template line. Per render the base is
//! cloned (cheap: filters are shared) to apply the template's syntax and include paths.

use super::guard::{self, Delimiters, TooDeep};
use super::header::TemplateOptions;
use super::value::{is_omit, is_unknown, RootScope};
use super::{
    dump, filters, lookups, tests, OutputSpan, RenderJob, FUEL_PER_RENDER, RECURSION_LIMIT,
};
use crate::source::Overlay;
use minijinja::functions::Function;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{FunctionArgs, FunctionResult, Kwargs, Rest};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The environment every render clones: all filters, tests and globals; default syntax.
pub(crate) fn base_environment() -> Environment<'static> {
    let mut env = Environment::empty();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    env.set_fuel(Some(FUEL_PER_RENDER));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(format_output);
    env.set_syntax(syntax(&TemplateOptions::default()).expect("default syntax is valid"));
    filters::register(&mut env);
    tests::register(&mut env);
    lookups::register(&mut env);
    env.add_function("range", minijinja::functions::range);
    env.add_function("dict", minijinja::functions::dict);
    env.add_function("namespace", minijinja::functions::namespace);
    env
}

/// Writes one `{{ }}` result as Python's `str()` would, with `None` as `''`.
fn format_output(
    out: &mut minijinja::Output,
    state: &mut State,
    value: &Value,
) -> Result<(), Error> {
    if let Some(scope) = RootScope::of(state).filter(|s| s.emitter) {
        let native = !(value.as_str().is_some() || is_unknown(value));
        scope.ctx.note_emit(native, is_omit(value));
    }
    let text = dump::py_str_top(value)?;
    out.write_str(&text).map_err(Error::from)
}

/// The base environment with this template's syntax and include search path.
/// Files the template included, by the name it used (to map their output spans).
pub(crate) type Includes = Arc<Mutex<HashMap<String, PathBuf>>>;

pub(crate) fn template_environment(
    base: &Environment<'static>,
    options: &TemplateOptions,
    job: &RenderJob,
    overlay: &Overlay,
) -> Result<(Environment<'static>, Includes), String> {
    let mut env = base.clone();
    env.set_syntax(syntax(options).map_err(|e| super::err_message(&e))?);
    let delimiters = Delimiters::of(env.syntax());
    let dirs = include_dirs(job);
    let includes: Includes = Arc::default();
    let seen = includes.clone();
    let overlay = overlay.clone();
    env.set_loader(move |name| {
        for dir in &dirs {
            let path = dir.join(name);
            if overlay.is_file(&path) {
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name.to_string(), path.clone());
                let text = overlay.read_to_string(&path).map_err(|_| {
                    Error::new(
                        minijinja::ErrorKind::TemplateNotFound,
                        format!("cannot read template '{name}'"),
                    )
                })?;
                // Before minijinja compiles it, as for the template itself.
                guard::check_template(&text, &delimiters).map_err(TooDeep::into_error)?;
                return Ok(Some(text));
            }
        }
        Ok(None)
    });
    Ok((env, includes))
}

/// Ansible's search path for includes: each `p/templates` then `p`, the template's own
/// directory last.
fn include_dirs(job: &RenderJob) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = job.search_paths.clone();
    if let Some(dir) = job.template.path.parent() {
        roots.push(dir.to_path_buf());
    }
    roots
        .into_iter()
        .flat_map(|p| [p.join("templates"), p])
        .collect()
}

fn syntax(o: &TemplateOptions) -> Result<SyntaxConfig, Error> {
    SyntaxConfig::builder()
        .block_delimiters(o.block_start_string.clone(), o.block_end_string.clone())
        .variable_delimiters(
            o.variable_start_string.clone(),
            o.variable_end_string.clone(),
        )
        .comment_delimiters(o.comment_start_string.clone(), o.comment_end_string.clone())
        .trim_blocks(o.trim_blocks)
        .lstrip_blocks(o.lstrip_blocks)
        .keep_trailing_newline(false)
        .build()
}

/// Registers a filter under each name; an unknown input value passes through untouched
/// (`ansible_hostname | upper` is still unknown).
pub(crate) fn add_filter<F, Rv, Args>(env: &mut Environment<'static>, names: &[&'static str], f: F)
where
    F: Function<Rv, Args>,
    Rv: FunctionResult,
    Args: for<'a> FunctionArgs<'a>,
{
    add_filter_params(env, names, &[], f);
}

/// Like [`add_filter`], and keyword arguments named in `params` fill the positional
/// parameters after the input, as Python allows (`int(base=16)`, `dict2items(key_name='k')`).
pub(crate) fn add_filter_params<F, Rv, Args>(
    env: &mut Environment<'static>,
    names: &[&'static str],
    params: &'static [&'static str],
    f: F,
) where
    F: Function<Rv, Args>,
    Rv: FunctionResult,
    Args: for<'a> FunctionArgs<'a>,
{
    let inner = Value::from_function(f);
    let wrapped =
        move |state: &mut State, args: Rest<Value>, kwargs: Kwargs| -> Result<Value, Error> {
            if let Some(first) = args.first().filter(|v| is_unknown(v)) {
                return Ok(first.clone());
            }
            let args = positional_from_keywords(args.0, &kwargs, params)?;
            inner.call(state, &args)
        };
    for name in names {
        env.add_filter(*name, wrapped.clone());
    }
}

/// Moves keyword arguments named in `params` into their positional slots; the others stay
/// keyword arguments (appended as one kwargs value).
fn positional_from_keywords(
    mut args: Vec<Value>,
    kwargs: &Kwargs,
    params: &[&str],
) -> Result<Vec<Value>, Error> {
    let mut slots: Vec<Option<Value>> = params.iter().map(|_| None).collect();
    let mut rest: Vec<(String, Value)> = Vec::new();
    for key in kwargs.args() {
        let value = kwargs.get::<Value>(key)?;
        match params.iter().position(|p| *p == key) {
            Some(i) if args.len() <= i + 1 => slots[i] = Some(value),
            Some(_) => {
                return Err(Error::new(
                    ErrorKind::TooManyArguments,
                    format!("argument '{key}' given by position and by keyword"),
                ))
            }
            None => rest.push((key.to_string(), value)),
        }
    }
    if let Some(last) = slots.iter().rposition(Option::is_some) {
        while args.len() < last + 2 {
            let i = args.len() - 1;
            args.push(slots[i].take().unwrap_or(Value::from(())));
        }
    }
    if !rest.is_empty() {
        args.push(Value::from(rest.into_iter().collect::<Kwargs>()));
    }
    Ok(args)
}

/// Registers a test under each name.
pub(crate) fn add_test<F, Rv, Args>(env: &mut Environment<'static>, names: &[&'static str], f: F)
where
    F: Function<Rv, Args> + Clone,
    Rv: FunctionResult,
    Args: for<'a> FunctionArgs<'a>,
{
    for name in names {
        env.add_test(*name, f.clone());
    }
}

/// Names for did-you-mean suggestions: filters without their FQCN prefix.
pub(crate) fn filter_names(_env: &Environment<'static>) -> Vec<String> {
    filters::NAMES.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn test_names(_env: &Environment<'static>) -> Vec<String> {
    tests::NAMES.iter().map(|s| s.to_string()).collect()
}

/// Jinja's `newline_sequence`: newlines of the template text (not of expression output)
/// become `seq`; spans are moved accordingly.
pub(crate) fn convert_newlines(text: &str, spans: &mut [OutputSpan], seq: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for span in spans.iter_mut() {
        out.push_str(&text[last..span.out.start]);
        let start = out.len();
        let piece = &text[span.out.clone()];
        if span.expression {
            out.push_str(piece);
        } else {
            out.push_str(&piece.replace("\r\n", "\n").replace(['\r', '\n'], seq));
            if seq == "\r" {
                // `replace` above turned `\r\n` into one `\n` first, then into `\r`.
            }
        }
        last = span.out.end;
        span.out = start..out.len();
    }
    out.push_str(&text[last..]);
    out
}
