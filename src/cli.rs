//! cli: the command line — clap definitions, flags → [`config::Overrides`], and one function
//! per subcommand that runs the library and hands the result to `report/`.
//!
//! No lint logic lives here. Output goes through a locked, buffered stdout and every write
//! error (a closed pipe included) is returned, so `main` can exit 0 on `EPIPE` instead of
//! panicking the way `println!` would.

use crate::config::{self, ConfigError, ConfigSource, Overrides};
use crate::diagnostic::Severity;
use crate::model::dovecot::DovecotVersion;
use crate::report::{self, human::HumanOptions};
use crate::rules::{self, Rule, Selector};
use crate::source::SourceDb;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const EXIT_STATUS: &str = "\
Exit status:
  0  no findings at or above the fail level (or --exit-zero)
  1  findings at or above the fail level (--fail-level, default: style, i.e. any finding)
  2  usage, configuration or internal error, or a file that could not be read";

/// The version `--version` prints: the crate's, plus the git revision it was built from when
/// the build could ask git (see build.rs).
const VERSION: &str = env!("MXLINT_VERSION");

/// Pre-deployment linter for Ansible-managed mail servers.
#[derive(Debug, Parser)]
#[command(name = "mxlint", version = VERSION, after_help = EXIT_STATUS)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an Ansible repository (every template for every host) or Dovecot config files
    #[command(after_help = EXIT_STATUS)]
    Check(CheckArgs),
    /// Merge the JSON outputs of `check --shard K/N` runs into one report, as a single run
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
    /// Print a template as the repository renders it for one host
    Render(RenderArgs),
    /// List every rule: code, name, default severity and summary
    Rules,
    /// Print the documentation of one rule
    Rule {
        /// A rule code (MX301) or name (default-vsz-limit-unset)
        #[arg(value_name = "CODE|NAME")]
        rule: String,
    },
    /// Print the effective configuration mxlint reads from a file
    Show(ShowArgs),
    /// Print the merged settings (defaults, the config file, flags) for the given paths
    Config(ConfigCmdArgs),
    /// Explain a Dovecot, Postfix, fail2ban or firewalld log line: what happened, which rule
    /// catches the cause, and the fix
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
    /// Run the Language Server on stdin/stdout (diagnostics and quick fixes in editors)
    Server,
}

#[derive(Debug, Args)]
pub struct ConfigCmdArgs {
    /// Where the config file is looked for, as for `check` [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

const EXPLAIN_HELP: &str = "\
Examples:
  mxlint explain 'service(imap): child 1234 returned error 83 (Out of memory (service imap { vsz_limit=256 MB }, you may need to increase it) - set CORE_OUTOFMEM=1 environment to get core dump)'
  journalctl -u dovecot -u postfix -u fail2ban -u firewalld --since today | mxlint explain

Exit status:
  0  at least one line was recognised
  1  no line was recognised
  2  usage error";

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The log line (quote it; several words are joined with spaces) [default: read lines from stdin]
    #[arg(
        value_name = "LINE",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub line: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    pub format: ShowFormat,
}

const MERGE_HELP: &str = "\
Run every shard of the same check with `--format json` (in a CI matrix, one job per shard),
then merge their outputs in the same checkout:

  mxlint check --shard 1/3 --format json -o shard-1.json
  mxlint check --shard 2/3 --format json -o shard-2.json
  mxlint check --shard 3/3 --format json -o shard-3.json
  mxlint merge shard-*.json --format sarif -o mxlint.sarif

The merged report equals a single run's: findings, the hosts they list (in inventory order),
unused suppressions (MX001, an entry used in any shard is used), the summary and the exit status.

Exit status:
  0  no findings at or above the fail level of the shards' runs (or --fail-level, --exit-zero)
  1  findings at or above that fail level
  2  an input is unreadable, not a shard output, from another run (another mxlint version, N,
     paths, inventory or fail level), a shard is missing or given twice, or a file the
     findings point into changed since; or the shards could not check a file";

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The JSON outputs of `mxlint check --shard K/N --format json`, one per shard K
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Lowest severity that makes the merge fail (exit 1) [default: the shards' fail level]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_level: Option<Level>,
    /// Report only findings this baseline file (from `check --write-baseline`) does not list
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// How a report is written: the same flags for `check` and `merge`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Exit 0 even when there are findings (errors still exit 2)
    #[arg(long)]
    pub exit_zero: bool,
    /// Never color the output (also: NO_COLOR set to anything)
    #[arg(long)]
    pub no_color: bool,
    /// Write the report to FILE (replaced atomically) instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// After the report, count findings per rule (json: a `statistics` key; sarif:
    /// `runs[0].properties.statistics`)
    #[arg(long)]
    pub statistics: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// An Ansible repository (a directory) or Dovecot config files [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub ansible: AnsibleArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Run only these rules: codes, code prefixes (MX3), names or ALL; comma-separated, repeatable
    #[arg(long, value_delimiter = ',', value_parser = parse_selector, value_name = "RULES")]
    pub select: Option<Vec<Selector>>,
    /// Skip these rules (same syntax as --select); added to the config file's `ignore`
    #[arg(long, value_delimiter = ',', value_parser = parse_selector, value_name = "RULES")]
    pub ignore: Vec<Selector>,
    /// Smallest acceptable vsz limit for mailbox services, in Dovecot's size syntax [default: 1G]
    #[arg(long, value_parser = config::parse_min_vsz_limit, value_name = "SIZE")]
    pub min_vsz_limit: Option<u64>,
    /// Lowest severity that makes the run fail (exit 1) [default: style]
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_level: Option<Level>,
    /// Apply safe fixes to the files in place, then report what is left
    #[arg(long)]
    pub fix: bool,
    /// Print the safe fixes as a unified diff instead of writing them (exit 1 when there are any)
    #[arg(long, conflicts_with = "fix")]
    pub diff: bool,
    /// With --fix or --diff, also apply fixes that may change behaviour (renames, raised limits)
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Report only findings this baseline file (from --write-baseline) does not list
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every current finding to this baseline file, and report none of them
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Check only shard K of N of the hosts (contiguous blocks in inventory order, within
    /// --limit), for a CI matrix; `mxlint merge` joins the shards' `--format json` outputs
    #[arg(
        long,
        value_name = "K/N",
        value_parser = crate::shard::Shard::parse,
        conflicts_with_all = ["fix", "diff", "baseline", "write_baseline"]
    )]
    pub shard: Option<crate::shard::Shard>,
    /// Render templates and check hosts on N threads (the findings are the same for any N; 1:
    /// no threads)
    /// [default: one per available core]
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<std::num::NonZeroUsize>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// `--jobs N`: a whole number of threads, at least 1.
fn parse_jobs(text: &str) -> Result<std::num::NonZeroUsize, String> {
    let n = text
        .trim()
        .parse::<usize>()
        .map_err(|_| format!("`{text}` is not a number of threads"))?;
    std::num::NonZeroUsize::new(n).ok_or_else(|| "must be at least 1".to_string())
}

/// Ansible's own options, for repository checks.
#[derive(Clone, Debug, Default, Args)]
pub struct AnsibleArgs {
    /// Inventory source (file or directory); repeatable [default: ansible.cfg, then inventory, hosts…]
    #[arg(short = 'i', long = "inventory", value_name = "PATH")]
    pub inventory: Vec<PathBuf>,
    /// Check only the hosts matching this Ansible host pattern (groups, wildcards, `:&`, `:!`)
    #[arg(short = 'l', long = "limit", value_name = "PATTERN")]
    pub limit: Option<String>,
    /// Extra variables as for ansible-playbook: KEY=VALUE, @FILE or YAML/JSON; repeatable
    #[arg(short = 'e', long = "extra-vars", value_name = "VARS")]
    pub extra_vars: Vec<String>,
    /// Playbook to read; repeatable [default: the playbooks in the repository root and playbooks/ that no other playbook imports]
    #[arg(long = "playbook", value_name = "FILE")]
    pub playbooks: Vec<PathBuf>,
}

/// The repository options `check` uses for `root` when no Ansible flag is given: the config
/// file's `inventory:` and `playbooks:`, else discovery (for `mxlint server`).
pub fn repo_options(root: &Path, settings: &config::Settings) -> crate::repo::RepoOptions {
    AnsibleArgs::default().options_with(root, settings)
}

impl AnsibleArgs {
    /// The options for `root`, with the config file's `inventory:` and `playbooks:` where the
    /// command line gives none.
    pub(crate) fn options_with(
        &self,
        root: &Path,
        settings: &config::Settings,
    ) -> crate::repo::RepoOptions {
        let mut options = self.options(root);
        if options.inventory.is_empty() {
            options.inventory = settings.inventory.clone();
        }
        if options.playbooks.is_empty() {
            options.playbooks = settings.playbooks.clone();
        }
        options
    }

    fn options(&self, root: &Path) -> crate::repo::RepoOptions {
        let under_root = |p: &PathBuf| {
            if p.is_absolute() || p.exists() {
                p.clone()
            } else {
                root.join(p)
            }
        };
        crate::repo::RepoOptions {
            inventory: self.inventory.iter().map(under_root).collect(),
            limit: self.limit.clone(),
            extra_vars: self.extra_vars.clone(),
            playbooks: self.playbooks.iter().map(under_root).collect(),
            ..crate::repo::RepoOptions::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The template (`.j2`) to render
    #[arg(value_name = "TEMPLATE")]
    pub template: PathBuf,
    /// The inventory host to render it for
    #[arg(long, value_name = "HOST")]
    pub host: String,
    /// The repository root [default: the nearest parent of TEMPLATE with ansible.cfg, an inventory or roles/]
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub ansible: AnsibleArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A Dovecot, Postfix (master.cf, main.cf), fail2ban (jail.local, /etc/fail2ban) or
    /// firewalld zone file, or an Ansible repository (with --host)
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// With a repository: the host whose rendered configuration to show
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    #[command(flatten)]
    pub ansible: AnsibleArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = ShowFormat::Human)]
    pub format: ShowFormat,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Flags shared by every command that reads files.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Use this config file instead of looking for .mxlint.yml
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,
    /// Ignore every config file
    #[arg(long)]
    pub isolated: bool,
    /// Read files as this Dovecot version [default: dovecot_config_version in the file, else 2.3]
    #[arg(long, value_parser = parse_version, value_name = "2.3|2.4")]
    pub dovecot_version: Option<DovecotVersion>,
}

impl ConfigArgs {
    fn source(&self) -> ConfigSource {
        match (&self.config, self.isolated) {
            (_, true) => ConfigSource::Isolated,
            (Some(file), false) => ConfigSource::File(file.clone()),
            (None, false) => ConfigSource::Discover,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Snippets with labels, help and a summary
    Human,
    /// One `path:line:col: severity[CODE] message` line per finding
    Concise,
    /// Versioned JSON (version 1)
    Json,
    /// SARIF 2.1.0 for GitHub code scanning (columns in UTF-16 code units)
    Sarif,
    /// GitHub Actions annotations (`::error file=…,line=…::…`) and a summary line
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Level {
    Error,
    Warning,
    Info,
    Style,
}

impl From<Level> for Severity {
    fn from(level: Level) -> Self {
        match level {
            Level::Error => Severity::Error,
            Level::Warning => Severity::Warning,
            Level::Info => Severity::Info,
            Level::Style => Severity::Style,
        }
    }
}

fn parse_selector(text: &str) -> Result<Selector, String> {
    Selector::parse(text)
}

fn parse_version(text: &str) -> Result<DovecotVersion, String> {
    DovecotVersion::parse(text).ok_or_else(|| format!("expected 2.3 or 2.4, found `{text}`"))
}

/// How a run ended; the discriminant is the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing at or above the fail level.
    Clean = 0,
    /// Findings at or above the fail level.
    Findings = 1,
    /// A file could not be checked, or a rule name was unknown (already reported).
    Error = 2,
}

/// What stops a run before it can report.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Writing the output failed; a broken pipe is not an error for the user.
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),
    /// `--fix` undid its own changes (they made things worse).
    #[error("{0}")]
    Fix(String),
    /// `mxlint merge` inputs that do not make one run.
    #[error(transparent)]
    Merge(#[from] crate::report::merge::MergeError),
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<Status, RunError> {
    match cli.command {
        Command::Check(args) => check(&args),
        Command::Merge(args) => merge(&args),
        Command::Render(args) => render(&args),
        Command::Rules => with_stdout(|out| report::rules::write_list(out, rules::ALL)),
        Command::Rule { rule } => rule_doc(&rule),
        Command::Show(args) => show(&args),
        Command::Config(args) => print_config(&args),
        Command::Explain(args) => explain_lines(&args),
        Command::Completions { shell } => with_stdout(|out| {
            clap_complete::generate(shell, &mut Cli::command(), "mxlint", out);
            Ok(())
        }),
        Command::Man => with_stdout(|out| clap_mangen::Man::new(Cli::command()).render(out)),
        Command::Server => match crate::lsp::run()? {
            true => Ok(Status::Clean),
            // `exit` without `shutdown`: the protocol asks for exit code 1.
            false => Ok(Status::Findings),
        },
    }
}

/// `mxlint config`: the settings a `check` of the same paths would use, as YAML.
fn print_config(args: &ConfigCmdArgs) -> Result<Status, RunError> {
    let targets = targets_or_here(&args.paths);
    let overrides = Overrides {
        dovecot_version: args.config.dovecot_version,
        ..Overrides::default()
    };
    let config = config::resolve(&args.config.source(), &targets, &overrides)?;
    with_stdout(|out| out.write_all(config::to_yaml(&config).as_bytes()))?;
    Ok(Status::Clean)
}

/// The paths given, or the working directory when there are none.
fn targets_or_here(paths: &[PathBuf]) -> Vec<&Path> {
    if paths.is_empty() {
        vec![Path::new(".")]
    } else {
        paths.iter().map(PathBuf::as_path).collect()
    }
}

/// Runs `write` on a buffered, locked stdout and flushes it.
fn with_stdout(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<Status, RunError> {
    let mut out = BufWriter::new(io::stdout().lock());
    write(&mut out)?;
    out.flush()?;
    Ok(Status::Clean)
}

fn check(args: &CheckArgs) -> Result<Status, RunError> {
    let mut targets = targets_or_here(&args.paths);
    let given: Vec<String> = targets
        .iter()
        .map(|t| t.to_string_lossy().into_owned())
        .collect();
    if args.shard.is_some_and(|s| s.index != 1) {
        // Plain files have no hosts: shard 1 checks them for the whole run.
        targets.retain(|t| crate::is_repo_target(t));
    }
    let overrides = Overrides {
        dovecot_version: args.config.dovecot_version,
        min_vsz_limit: args.min_vsz_limit,
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        fail_level: args.fail_level.map(Severity::from),
    };
    let config = config::resolve(&args.config.source(), &targets, &overrides)?;
    let bar = Arc::new(ProgressBarState::default());
    let progress = if shows_progress(io::stderr().is_terminal(), args.report.format) {
        let bar = Arc::clone(&bar);
        crate::repo::Progress::new(move |step| bar.update(step))
    } else {
        crate::repo::Progress::default()
    };
    let run = || {
        let outcome = crate::check_targets(
            &targets,
            |root| crate::repo::RepoOptions {
                shard: args.shard,
                progress: progress.clone(),
                jobs: args.jobs,
                ..args.ansible.options_with(root, &config.settings)
            },
            &config.settings,
        );
        bar.clear();
        outcome
    };
    let mut outcome = run();
    // As ansible-playbook: a --limit that selects no host is an error, not a silent pass.
    if let Some(pattern) = &args.ansible.limit {
        if let Some(empty) = outcome.repos.iter().find(|r| r.scope.hosts.is_empty()) {
            writeln!(
                io::stderr().lock(),
                "error: --limit `{pattern}` matches no host of the inventory of {}: nothing would be checked",
                empty.root.display()
            )?;
            return Ok(Status::Error);
        }
    }
    if args.unsafe_fixes && !args.fix && !args.diff {
        writeln!(
            io::stderr().lock(),
            "error: --unsafe-fixes needs --fix or --diff"
        )?;
        return Ok(Status::Error);
    }
    if args.diff {
        return print_fix_diff(&outcome, args.unsafe_fixes);
    }
    if args.fix {
        outcome = apply_fixes(run, outcome, args.unsafe_fixes)?;
    }
    report::sort(&outcome.db, &mut outcome.diagnostics);
    apply_baseline(args, &targets, &mut outcome)?;

    let shard = args.shard.map(|shard| report::json::ShardRunInfo {
        shard,
        fail_level: config.fail_level,
        exit_zero: args.report.exit_zero,
        targets: given,
    });
    write_report(&args.report, shard.as_ref(), &outcome)?;
    let status = status(&outcome, config.fail_level, args.report.exit_zero);
    // The process ends now: the system takes back a large fleet's sources at once, faster than
    // freeing them piece by piece.
    std::mem::forget(outcome);
    Ok(status)
}

/// Writes the report to stdout or `--output` (atomically); with `--shard`, `shard` is what the
/// JSON report adds for `merge`.
fn write_report(
    spec: &ReportArgs,
    shard: Option<&report::json::ShardRunInfo>,
    outcome: &crate::Outcome,
) -> io::Result<()> {
    let terminal = spec.output.is_none() && io::stdout().is_terminal();
    let options = HumanOptions {
        color: terminal && !spec.no_color && no_color_unset(),
        links: terminal,
    };
    let mut err = io::stderr().lock();
    match spec.output.as_deref() {
        Some(path) => {
            let mut report = Vec::new();
            write_check_report(&mut report, &mut err, spec, shard, outcome, options)?;
            write_atomically(path, &report)
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            write_check_report(&mut out, &mut err, spec, shard, outcome, options)?;
            out.flush()
        }
    }
}

/// The report in the chosen format, then the `--statistics` table for the text formats (JSON
/// and SARIF carry the counts inside the document instead).
fn write_check_report(
    out: &mut dyn Write,
    err: &mut dyn Write,
    spec: &ReportArgs,
    shard: Option<&report::json::ShardRunInfo>,
    outcome: &crate::Outcome,
    options: HumanOptions,
) -> io::Result<()> {
    match spec.format {
        CheckFormat::Human => report::human::write(out, err, outcome, options)?,
        CheckFormat::Concise => report::concise::write(out, err, outcome)?,
        CheckFormat::Github => report::github::write(out, outcome)?,
        CheckFormat::Json => {
            return match shard {
                Some(info) => report::json::write_shard(out, outcome, spec.statistics, info),
                None => report::json::write(out, outcome, spec.statistics),
            }
        }
        CheckFormat::Sarif => return report::sarif::write(out, outcome, spec.statistics),
    }
    if spec.statistics {
        report::write_statistics(out, &outcome.diagnostics)?;
    }
    Ok(())
}

/// `mxlint merge`: the shards' JSON outputs as one run's report (see [`report::merge`]).
fn merge(args: &MergeArgs) -> Result<Status, RunError> {
    let mut inputs = Vec::new();
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|e| {
            report::merge::MergeError(format!("cannot read {}: {e}", path.display()))
        })?;
        inputs.push((path.clone(), text));
    }
    let merged = report::merge::merge(&inputs)?;
    let mut outcome = merged.outcome;
    if let Some(path) = &args.baseline {
        let existing = crate::baseline::load(path)?;
        let base = match merged.targets.as_slice() {
            [dir] if Path::new(dir).is_dir() => PathBuf::from(dir),
            _ => PathBuf::from("."),
        };
        outcome.baselined +=
            crate::baseline::filter(&outcome.db, &mut outcome.diagnostics, &existing, &base);
    }
    write_report(&args.report, None, &outcome)?;
    let fail_level = args.fail_level.map_or(merged.fail_level, Severity::from);
    Ok(status(
        &outcome,
        fail_level,
        args.report.exit_zero || merged.exit_zero,
    ))
}

/// Fleets smaller than this finish before a progress bar would tell anything.
const PROGRESS_MIN_HOSTS: usize = 50;

/// Whether a check may draw a progress bar: only for people (human or concise output) watching
/// a terminal on stderr; never into a pipe, a file or a machine format.
fn shows_progress(stderr_is_terminal: bool, format: CheckFormat) -> bool {
    stderr_is_terminal && matches!(format, CheckFormat::Human | CheckFormat::Concise)
}

/// The progress bar of a check, fed by [`crate::repo::Progress`]: a new bar for each
/// repository of at least [`PROGRESS_MIN_HOSTS`] hosts, counting renders and then hosts,
/// cleared before the report prints.
#[derive(Default)]
struct ProgressBarState(std::sync::Mutex<Option<indicatif::ProgressBar>>);

impl ProgressBarState {
    fn update(&self, step: crate::repo::Step) {
        use crate::repo::Step;
        let mut bar = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (message, done, total) = match step {
            Step::Start { hosts } => {
                if let Some(old) = bar.take() {
                    old.finish_and_clear();
                }
                if hosts >= PROGRESS_MIN_HOSTS {
                    *bar = Some(new_progress_bar(hosts));
                }
                return;
            }
            Step::Rendering { done, total } => ("rendering templates", done, total),
            Step::Checking { done, total } => ("checking hosts", done, total),
        };
        if let Some(bar) = &*bar {
            // Count and length in one update, then the phase's name (each call may draw).
            bar.update(|state| {
                state.set_len(total as u64);
                state.set_pos(done as u64);
            });
            if bar.message() != message {
                bar.set_message(message);
            }
        }
    }

    fn clear(&self) {
        let mut bar = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn new_progress_bar(hosts: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(hosts as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {msg:19} [{bar:30}] {pos}/{len} ({elapsed})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message("reading tasks");
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory, then a
/// rename, so a reader never sees half a report and a failed run leaves the old file.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let context = |e: io::Error, what: &str| {
        io::Error::new(e.kind(), format!("cannot {what} {}: {e}", path.display()))
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.mxlint-tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| context(e, "create a temporary file for"))?;
    // A replaced file keeps its permissions (a fixed template stays 0640 if it was).
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temp, meta.permissions());
    }
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(context(e, "write"));
    }
    Ok(())
}

/// `--write-baseline` (every finding goes to the file and counts as baselined) and
/// `--baseline` (listed findings are dropped). Paths in the file are relative to the checked
/// directory when there is one, else to the working directory.
fn apply_baseline(
    args: &CheckArgs,
    targets: &[&Path],
    outcome: &mut crate::Outcome,
) -> Result<(), RunError> {
    use crate::baseline;
    let base = match targets {
        [dir] if dir.is_dir() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Read first: a missing or broken baseline stops the run before anything is written.
    let existing = args.baseline.as_deref().map(baseline::load).transpose()?;
    if let Some(path) = &args.write_baseline {
        let written = baseline::of(&outcome.db, &outcome.diagnostics, &base);
        write_atomically(path, baseline::to_json(&written).as_bytes())?;
        writeln!(
            io::stderr().lock(),
            "Wrote {} finding(s) to baseline {}.",
            written.entries.len(),
            path.display()
        )?;
        outcome.baselined += std::mem::take(&mut outcome.diagnostics).len();
    } else if let Some(existing) = &existing {
        outcome.baselined +=
            baseline::filter(&outcome.db, &mut outcome.diagnostics, existing, &base);
    }
    Ok(())
}

/// `--fix`: writes the fixed files (the only place mxlint writes to the user's files) pass by
/// pass, re-checking after each, until no fix applies: a fix skipped for overlapping another
/// goes in on the next pass, so a second `--fix` finds nothing to do. Each pass is verified by
/// its re-check: when a rule fires on more hosts than before, every file goes back to its
/// original bytes and the run ends with an error. Returns the outcome of the last check.
fn apply_fixes(
    run: impl Fn() -> crate::Outcome,
    mut outcome: crate::Outcome,
    include_unsafe: bool,
) -> Result<crate::Outcome, RunError> {
    const MAX_PASSES: usize = 10;
    let mut originals: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let (mut total, mut passes) = (0, 0);
    loop {
        let fixed = crate::fix::fixed_files(&outcome.db, &outcome.diagnostics, include_unsafe);
        if fixed.applied == 0 || fixed.files.is_empty() {
            break;
        }
        if passes == MAX_PASSES {
            writeln!(
                io::stderr().lock(),
                "warning: fixes still change files after {MAX_PASSES} passes; stopping here"
            )?;
            break;
        }
        let before = fired(&outcome);
        for file in &fixed.files {
            if !originals.iter().any(|(p, _)| *p == file.path) {
                let bytes = std::fs::read(&file.path).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot read {}: {e}", file.path.display()),
                    )
                })?;
                originals.push((file.path.clone(), bytes));
            }
            write_atomically(&file.path, file.text.as_bytes())?;
        }
        total += fixed.applied;
        passes += 1;
        outcome = run();
        let after = fired(&outcome);
        let worse: Vec<String> = after
            .iter()
            .filter(|(code, n)| before.get(*code).is_none_or(|b| *n > b))
            .map(|(code, _)| (*code).to_string())
            .collect();
        if !worse.is_empty() || !outcome.errors.is_empty() {
            for (path, bytes) in &originals {
                write_atomically(path, bytes)?;
            }
            let why = if worse.is_empty() {
                "made a file unreadable".to_string()
            } else {
                format!("made {} fire more often", worse.join(", "))
            };
            return Err(RunError::Fix(format!(
                "the fixes {why}; every file was restored and nothing is changed. Run with --diff to see them, and please report this."
            )));
        }
    }
    if total > 0 {
        let noun = if total == 1 { "fix" } else { "fixes" };
        writeln!(
            io::stderr().lock(),
            "Applied {total} {noun} in {} file(s).",
            originals.len()
        )?;
    }
    Ok(outcome)
}

/// How many (finding, host) pairs each rule has.
fn fired(outcome: &crate::Outcome) -> std::collections::BTreeMap<&'static str, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for d in &outcome.diagnostics {
        *counts.entry(d.rule.code).or_insert(0) += d.hosts.len().max(1);
    }
    counts
}

/// `--diff`: the fixes as a unified diff per file on stdout; nothing is written. Exit 1 when
/// there is something to fix, as `ruff --diff`.
fn print_fix_diff(outcome: &crate::Outcome, include_unsafe: bool) -> Result<Status, RunError> {
    let fixed = crate::fix::fixed_files(&outcome.db, &outcome.diagnostics, include_unsafe);
    let (files, total) = (&fixed.files, fixed.applied);
    with_stdout(|out| {
        for file in files {
            let before = outcome
                .db
                .files()
                .find(|(_, f)| f.path() == file.path)
                .map(|(_, f)| f.text())
                .unwrap_or("");
            let shown = file.path.display().to_string();
            // `a/` + an absolute path would read `a//tmp/…`; git writes `a/tmp/…`.
            let name = shown.trim_start_matches('/');
            let diff = similar::TextDiff::from_lines(before, file.text.as_str());
            write!(
                out,
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&format!("a/{name}"), &format!("b/{name}"))
            )?;
        }
        Ok(())
    })?;
    if total > 0 {
        let noun = if total == 1 { "fix" } else { "fixes" };
        writeln!(
            io::stderr().lock(),
            "Would apply {total} {noun} in {} file(s); run with --fix to write them.",
            files.len()
        )?;
        Ok(Status::Findings)
    } else {
        Ok(Status::Clean)
    }
}

/// `NO_COLOR` disables color when set to anything but the empty string (no-color.org).
fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Exit status of a check: file errors win, then findings at or above `fail_level`.
pub fn status(outcome: &crate::Outcome, fail_level: Severity, exit_zero: bool) -> Status {
    if !outcome.errors.is_empty() {
        Status::Error
    } else if !exit_zero && outcome.diagnostics.iter().any(|d| d.severity >= fail_level) {
        Status::Findings
    } else {
        Status::Clean
    }
}

fn rule_doc(query: &str) -> Result<Status, RunError> {
    if let Some(rule) = rules::find(query.trim()) {
        return with_stdout(|out| report::rules::write_doc(out, rule));
    }
    let mut err = io::stderr().lock();
    writeln!(err, "error: unknown rule `{query}`")?;
    let similar = similar_rules(query);
    if !similar.is_empty() {
        let names: Vec<String> = similar
            .iter()
            .map(|r| format!("{} ({})", r.code, r.name))
            .collect();
        writeln!(err, "  did you mean: {}?", names.join(", "))?;
    }
    writeln!(err, "  `mxlint rules` lists every rule")?;
    Ok(Status::Error)
}

/// `mxlint explain`: explains the line given as arguments, or every line of stdin.
fn explain_lines(args: &ExplainArgs) -> Result<Status, RunError> {
    let mut found = Vec::new();
    let mut unrecognised = 0;
    let mut classify = |number: usize, text: String| match crate::explain::explain(&text) {
        Some(explanation) => found.push((number, text, explanation)),
        None if text.trim().is_empty() => {}
        None => unrecognised += 1,
    };
    if args.line.is_empty() {
        let stdin = io::stdin();
        if stdin.is_terminal() {
            writeln!(
                io::stderr().lock(),
                "mxlint: reading log lines from stdin (Ctrl-D ends)"
            )?;
        }
        read_bounded_lines(&mut stdin.lock(), &mut classify)?;
    } else {
        classify(1, args.line.join(" "));
    }
    let seen = report::explain::group(found);
    let mut err = io::stderr().lock();
    if seen.is_empty() && args.format == ShowFormat::Human {
        writeln!(
            err,
            "mxlint: not a line mxlint knows (Dovecot out-of-memory and mmap failures, fail2ban \
             bans, firewalld errors, Postfix and Dovecot port failures); `mxlint explain --help` \
             shows examples"
        )?;
        return Ok(Status::Findings);
    }
    with_stdout(|out| match args.format {
        ShowFormat::Human => report::explain::write_human(out, &seen),
        ShowFormat::Json => report::explain::write_json(out, &seen, unrecognised),
    })?;
    if args.format == ShowFormat::Human && unrecognised > 0 && args.line.is_empty() {
        writeln!(err, "mxlint: {unrecognised} other line(s) not recognised")?;
    }
    Ok(if seen.is_empty() {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// The longest log line read; the rest of a longer line is skipped, so one endless line cannot
/// take all memory.
const MAX_LINE: usize = 64 * 1024;

/// Calls `each(number, text)` for every line of `input` (1-based numbers, invalid UTF-8
/// replaced), holding at most [`MAX_LINE`] bytes of a line.
fn read_bounded_lines(
    input: &mut dyn io::BufRead,
    each: &mut dyn FnMut(usize, String),
) -> io::Result<()> {
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let (part, used, ends) = match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => (&chunk[..at], at + 1, true),
            None => (chunk, chunk.len(), false),
        };
        let room = MAX_LINE.saturating_sub(line.len());
        line.extend_from_slice(&part[..part.len().min(room)]);
        input.consume(used);
        if ends {
            number += 1;
            each(number, String::from_utf8_lossy(&line).into_owned());
            line.clear();
        }
    }
    if !line.is_empty() {
        each(number + 1, String::from_utf8_lossy(&line).into_owned());
    }
    Ok(())
}

/// Rules whose code or name is close to `query` (see [`rules::similar`]).
pub fn similar_rules(query: &str) -> Vec<&'static Rule> {
    rules::similar(query)
}

/// `mxlint render TEMPLATE --host HOST`: the rendered text on stdout, problems on stderr.
fn render(args: &RenderArgs) -> Result<Status, RunError> {
    let root = match &args.repo {
        Some(root) => root.clone(),
        None => crate::repo::find_root(&args.template),
    };
    let config = config::resolve(&args.config.source(), &[&root], &Overrides::default())?;
    let mut options = args.ansible.options_with(&root, &config.settings);
    options.facts = config.settings.facts.clone();
    options.dest_kinds = config.settings.dest_kinds.clone();
    let rendered = crate::repo::render_one(&root, &options, &args.template, &args.host);
    let mut err = io::stderr().lock();
    match rendered {
        Ok((text, outcome)) => {
            if !outcome.diagnostics.is_empty() {
                report::concise::write(&mut err, &mut io::sink(), &outcome)?;
            }
            with_stdout(|out| out.write_all(text.as_bytes()))?;
            Ok(Status::Clean)
        }
        Err((message, outcome)) => {
            report::concise::write(&mut err, &mut io::sink(), &outcome)?;
            writeln!(err, "error: {message}")?;
            Ok(Status::Error)
        }
    }
}

fn show(args: &ShowArgs) -> Result<Status, RunError> {
    // A fail2ban directory (`/etc/fail2ban`) is a plain target, as in `check`.
    let path = args.path.as_path();
    if path.is_dir() && (crate::repo::is_ansible_repo(path) || !crate::plain::is_fail2ban_dir(path))
    {
        return show_host(args);
    }
    let overrides = Overrides {
        dovecot_version: args.config.dovecot_version,
        ..Overrides::default()
    };
    let config = config::resolve(&args.config.source(), &[path], &overrides)?;
    let mut db = SourceDb::new();
    let (hosts, errors) = crate::plain::load_hosts(&mut db, &[path], &config.settings);
    let mut err = io::stderr().lock();
    if !errors.is_empty() {
        report::human::write_file_errors(&mut err, &errors)?;
        return Ok(Status::Error);
    }
    let Some(host) = hosts.first() else {
        writeln!(err, "error: {}: nothing to show", path.display())?;
        return Ok(Status::Error);
    };
    with_stdout(|out| match args.format {
        ShowFormat::Json => report::show::write_host_json(out, &db, host, &config.settings),
        ShowFormat::Human => report::show::write_host_human(out, &db, host, &config.settings),
    })
}

/// `mxlint show REPO --host HOST`: the host's whole mail stack.
fn show_host(args: &ShowArgs) -> Result<Status, RunError> {
    let mut err = io::stderr().lock();
    let Some(host) = &args.host else {
        writeln!(
            err,
            "error: `{}` is a directory; name the host to show with --host",
            args.path.display()
        )?;
        return Ok(Status::Error);
    };
    let overrides = Overrides {
        dovecot_version: args.config.dovecot_version,
        ..Overrides::default()
    };
    let config = config::resolve(&args.config.source(), &[&args.path], &overrides)?;
    let mut options = args.ansible.options_with(&args.path, &config.settings);
    options.facts = config.settings.facts.clone();
    options.dest_kinds = config.settings.dest_kinds.clone();
    match crate::repo::host_model(&args.path, &options, host, &config.settings) {
        Ok((db, mail)) => with_stdout(|out| match args.format {
            ShowFormat::Json => report::show::write_host_json(out, &db, &mail, &config.settings),
            ShowFormat::Human => report::show::write_host_human(out, &db, &mail, &config.settings),
        }),
        Err(message) => {
            writeln!(err, "error: {message}")?;
            Ok(Status::Error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn selectors_split_on_commas_and_repeat() {
        let cli = Cli::try_parse_from([
            "mxlint", "check", "--select", "MX3,MX2", "--select", "MX2", "--ignore", "MX301",
            "x.conf",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let Command::Check(args) = cli.command else {
            panic!("not check")
        };
        let select: Vec<String> = args
            .select
            .unwrap()
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        assert_eq!(select, ["MX3", "MX2", "MX2"]);
        assert_eq!(args.ignore.len(), 1);
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        for argv in [
            &["mxlint", "render", "t.j2"][..],
            &["mxlint", "check", "--select", "MX9", "x"],
            &["mxlint", "check", "--ignore", "nope", "x"],
            &["mxlint", "check", "--dovecot-version", "2.5", "x"],
            &["mxlint", "check", "--min-vsz-limit", "512k", "x"],
            &["mxlint", "check", "--fail-level", "fatal", "x"],
            &["mxlint", "check", "--config", "a.yml", "--isolated", "x"],
            &["mxlint", "show", "--format", "concise", "x"],
        ] {
            let err = Cli::try_parse_from(argv).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{argv:?}: {err}");
        }
    }

    #[test]
    fn progress_only_for_people_on_a_terminal() {
        use CheckFormat::*;
        for format in [Human, Concise] {
            assert!(shows_progress(true, format));
            assert!(!shows_progress(false, format));
        }
        for format in [Json, Sarif, Github] {
            assert!(!shows_progress(true, format));
        }
    }

    #[test]
    fn did_you_mean() {
        let codes = |q: &str| -> Vec<&str> { similar_rules(q).iter().map(|r| r.code).collect() };
        assert!(codes("MX3O1").contains(&"MX301"));
        assert!(codes("mx30").contains(&"MX301"));
        let rule = rules::find("MX301").unwrap();
        let typo = rule.name.replacen('-', "_", 1);
        assert!(codes(&typo).contains(&"MX301"), "{typo}");
        assert!(codes("zzzzzzzzzzzzzz").is_empty());
    }
}
