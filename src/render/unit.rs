//! Unit tests of the renderer as a whole: semantics per filter group on hand-built nodes.

use super::*;
use crate::ansible::yaml::{Node, Value as Y};
use crate::source::{FileId, Span};

fn node(v: Y) -> Arc<Node> {
    Arc::new(Node {
        value: v,
        span: Span::new(FileId(0), 0, 0),
    })
}

fn s(x: &str) -> Y {
    Y::Str(x.into())
}

fn fleet(vars: Vec<(&str, Y)>) -> Fleet {
    let mut v = Vars::new();
    for (k, val) in vars {
        v.insert(k.to_string(), node(val));
    }
    let hosts = vec![
        Host {
            name: "mx1.example.org".into(),
            vars: v,
            group_names: vec!["mail".into()],
        },
        Host {
            name: "mx2".into(),
            vars: Vars::new(),
            group_names: vec!["mail".into()],
        },
    ];
    let mut groups = IndexMap::new();
    groups.insert(
        "all".to_string(),
        vec!["mx1.example.org".to_string(), "mx2".to_string()],
    );
    groups.insert(
        "mail".to_string(),
        vec!["mx1.example.org".to_string(), "mx2".to_string()],
    );
    Fleet::new(hosts, groups)
}

fn render_with(vars: Vec<(&str, Y)>, text: &str) -> RenderOutcome {
    let job = RenderJob::new(
        TemplateSource {
            path: PathBuf::from("t.j2"),
            text: Arc::from(text),
        },
        0,
    );
    Renderer::new().render(&fleet(vars), &job)
}

fn render(text: &str) -> String {
    let out = render_with(vec![], text);
    out.text.unwrap_or_else(|| panic!("{:?}", out.problems))
}

#[test]
fn none_prints_empty_and_values_print_like_python() {
    let out = render_with(
        vec![
            ("n", Y::Null),
            (
                "l",
                Y::Seq(vec![
                    (*node(Y::Int(1))).clone(),
                    (*node(s("a"))).clone(),
                    (*node(Y::Bool(true))).clone(),
                ]),
            ),
            ("f", Y::Float(1.0)),
        ],
        "[{{ n }}] {{ l }} {{ f }}\n",
    );
    assert_eq!(out.text.unwrap(), "[] [1, 'a', True] 1.0\n");
}

#[test]
fn trim_blocks_and_trailing_newlines_follow_ansible() {
    assert_eq!(render("{% if true %}\nx\n{% endif %}\n\n"), "x\n\n");
    assert_eq!(render("{{ [1] }}\n"), "[1]");
    assert_eq!(render("{{ 'a' }}\n"), "a\n");
}

#[test]
fn every_undefined_name_is_reported_at_its_range() {
    let out = render_with(
        vec![],
        "{{ a }} {{ b | default('x') }} {{ c }}\n{% if d is defined %}{{ e }}{% endif %}",
    );
    assert!(out.text.is_none());
    let names: Vec<_> = out
        .problems
        .iter()
        .filter_map(|p| match &p.kind {
            ProblemKind::Undefined { name } => Some((name.clone(), p.range.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        vec![("a".into(), Some(3..4)), ("c".into(), Some(34..35))]
    );
}

#[test]
fn templated_variables_are_rendered_lazily_and_natively() {
    let out = render_with(
        vec![
            ("pki", s("/etc/pki")),
            ("cert", s("{{ pki }}/mail.pem")),
            ("ports", s("{{ [25] + [587] }}")),
            ("raw", Y::Unsafe("{{ pki }}".into())),
        ],
        "{{ cert }} {{ ports | join(',') }} {{ raw }}\n",
    );
    assert_eq!(out.text.unwrap(), "/etc/pki/mail.pem 25,587 {{ pki }}\n");
}

#[test]
fn recursive_variables_are_an_error() {
    let out = render_with(vec![("a", s("{{ b }}")), ("b", s("{{ a }}"))], "{{ a }}\n");
    assert!(out.text.is_none());
    assert!(
        out.problems[0].message.contains("recursive loop"),
        "{:?}",
        out.problems
    );
}

#[test]
fn facts_and_vaulted_values_are_unknown() {
    let out = render_with(
        vec![("secret", Y::Vault)],
        "{{ ansible_fqdn }} {{ secret }}\n",
    );
    assert_eq!(
        out.text.unwrap(),
        format!("{UNKNOWN_PLACEHOLDER} {UNKNOWN_PLACEHOLDER}\n")
    );
    assert_eq!(out.problems.len(), 2);
    assert!(out
        .problems
        .iter()
        .all(|p| matches!(p.kind, ProblemKind::UnknownValue { .. })));
}

#[test]
fn unknown_filters_suggest_a_name() {
    let out = render_with(vec![], "{{ 'a' | to_nice_yml }}\n");
    assert!(
        out.problems[0].message.contains("to_nice_yaml"),
        "{:?}",
        out.problems
    );
    assert_eq!(out.problems[0].range, Some(9..20));
}

#[test]
fn messages_never_contain_values() {
    let out = render_with(vec![("pw", s("s3cr3t"))], "{{ pw + 1 }}\n");
    assert!(out.text.is_none());
    assert!(!out.problems[0].message.contains("s3cr3t"));
}

#[test]
fn magic_variables() {
    assert_eq!(
        render("{{ inventory_hostname_short }} {{ group_names }} {{ groups.mail | length }} {{ ansible_managed }}\n"),
        "mx1 ['mail'] 2 Ansible managed\n"
    );
    assert_eq!(
        render("{{ hostvars['mx2'].inventory_hostname }}\n"),
        "mx2\n"
    );
}

#[test]
fn header_and_lookups() {
    assert_eq!(
        render("#jinja2: trim_blocks: False\n{% if true %}\nx{% endif %}\n"),
        "\nx\n"
    );
    let out = render_with(vec![], "{{ lookup('pipe', 'date') }}\n");
    assert!(matches!(
        out.problems[0].kind,
        ProblemKind::UnevaluatedLookup { .. }
    ));
}

#[test]
fn type_filters() {
    assert_eq!(render("{{ 'no' | bool }} {{ 'yes' | bool }} {{ '12.7' | int }} {{ '0x1F' | int(base=16) }} {{ 'x' | float }}\n"), "False True 12 31 0.0\n");
    assert_eq!(
        render("{{ none | string }} {{ [1, none] | join('-') }} {{ none | ternary(1, 2, 3) }}\n"),
        "None 1-None 3\n"
    );
}

#[test]
fn data_filters() {
    assert_eq!(
        render("{{ {'a': {'x': 1}, 'b': [1]} | combine({'a': {'y': 2}, 'b': [2]}, recursive=True, list_merge='append') }}\n"),
        "{'a': {'x': 1, 'y': 2}, 'b': [1, 2]}"
    );
    assert_eq!(
        render("{{ [1, [2, [3, none]]] | flatten }} {{ [1, [2, [3]]] | flatten(1) }}\n"),
        "[1, 2, 3] [1, 2, [3]]\n"
    );
    assert_eq!(
        render("{{ {'a': 1} | dict2items }} {{ [{'key': 'k', 'value': 2}] | items2dict }}\n"),
        "[{'key': 'a', 'value': 1}] {'k': 2}\n"
    );
    assert_eq!(
        render("{{ [1, 2] | zip(['a', 'b']) | list }}\n"),
        "[[1, 'a'], [2, 'b']]"
    );
    assert_eq!(render("{{ [3, 1, 3, 'A', 'a'] | unique }} {{ [1, 2] | union([2, 3]) }} {{ [1, 2] | symmetric_difference([2, 3]) }}\n"), "[3, 1, 'A'] [1, 2, 3] [1, 3]\n");
}

#[test]
fn text_filters() {
    assert_eq!(
        render("{{ 'a.b' | regex_replace('(\\\\w)\\\\.(\\\\w)', '\\\\2-\\\\1') }}\n"),
        "b-a\n"
    );
    assert_eq!(
        render("{{ 'k=v' | regex_search('(\\\\w)=(\\\\w)', '\\\\2') }}\n"),
        "['v']"
    );
    assert_eq!(
        render("{{ \"it's\" | quote }} {{ 'a b' | split }}\n"),
        "'it'\"'\"'s' ['a', 'b']\n"
    );
    assert_eq!(
        render("{{ 'x' | comment }}|{{ 'x\\ny' | comment('c') }}\n"),
        "#\n# x\n#|//\n// x\n// y\n//\n"
    );
    assert_eq!(
        render("{{ 'x' | comment('cblock') }}\n"),
        "/*\n *\n * x\n *\n */\n"
    );
}

#[test]
fn serialization_filters() {
    assert_eq!(
        render("{{ {'b': '<a>', 'a': 1} | to_json }}\n"),
        "{\"b\": \"<a>\", \"a\": 1}\n"
    );
    assert_eq!(render("{{ {'a': 1} | to_nice_yaml }}\n"), "a: 1\n");
    assert_eq!(render("{{ {'a': [1, 2]} | to_yaml }}\n"), "a: [1, 2]\n");
    assert_eq!(
        render("{{ '{\"b\": 1, \"a\": [true]}' | from_json }}\n"),
        "{'b': 1, 'a': [True]}"
    );
}

#[test]
fn paths_and_hashes() {
    assert_eq!(render("{{ '/a/b.c' | basename }} {{ '/a/b/' | dirname }} {{ ['a', '/b', 'c'] | path_join }} {{ 'x.tar.gz' | splitext }}\n"), "b.c /a/b /b/c ['x.tar', '.gz']\n");
    assert_eq!(
        render("{{ 'abc' | md5 }} {{ 'abc' | b64encode }} {{ 'YWJj' | b64decode }}\n"),
        "900150983cd24fb0d6963f7d28e17f72 YWJj abc\n"
    );
}

#[test]
fn tests_behave_like_ansible() {
    assert_eq!(render("{{ '2.10' is version('2.9', '>') }} {{ 'abc' is match('b') }} {{ 'abc' is search('b') }} {{ [1] is subset([1, 2]) }} {{ 'yes' is truthy(convert_bool=True) }}\n"), "True False True True True\n");
}

#[test]
fn conditions_are_undecidable_on_facts() {
    let r = Renderer::new();
    let f = fleet(vec![("x", Y::Int(3))]);
    assert_eq!(
        r.eval_condition(&f, 0, &Vars::new(), "x > 2"),
        Ok(Some(true))
    );
    assert_eq!(
        r.eval_condition(&f, 0, &Vars::new(), "ansible_os_family == 'Debian'"),
        Ok(None)
    );
    assert!(r.eval_condition(&f, 0, &Vars::new(), "nope").is_err());
}

#[test]
fn spans_map_output_to_the_template_past_a_header() {
    let text = "#jinja2: trim_blocks: True\nport={{ p }}\n";
    let job = RenderJob::new(
        TemplateSource {
            path: PathBuf::from("t.j2"),
            text: Arc::from(text),
        },
        0,
    );
    let out = Renderer::new().render(&fleet(vec![("p", Y::Int(25))]), &job);
    assert_eq!(out.text.as_deref(), Some("port=25\n"));
    let expr = out.spans.iter().find(|s| s.expression).unwrap();
    assert_eq!(&out.text.as_deref().unwrap()[expr.out.clone()], "25");
    assert_eq!(&text[expr.src.clone()], "p");
}

fn deep_chain(links: usize) -> String {
    format!("x{}", " | string".repeat(links))
}

/// Regression (hostile.rs): a 10,000-link chain overflowed minijinja's compiler stack.
#[test]
fn a_too_deep_expression_is_refused_before_minijinja_compiles_it() {
    let text = format!(
        "#jinja2: variable_start_string: '[[', variable_end_string: ']]'\nok {{{{ x }}}}\n[[ {} ]]\n",
        deep_chain(10_000)
    );
    let out = render_with(vec![("x", s("s3cr3t"))], &text);
    assert!(out.text.is_none());
    let problem = &out.problems[0];
    assert_eq!(problem.kind, ProblemKind::Syntax);
    let start = text.find("\n[[").unwrap() + 1;
    assert_eq!(problem.range, Some(start..text.len() - 1));
    assert!(
        problem.message.contains("chains 10000 operations"),
        "{}",
        problem.message
    );
    assert!(
        problem.message.contains("more than 500"),
        "{}",
        problem.message
    );
}

#[test]
fn a_too_deep_variable_value_condition_or_include_is_refused() {
    let deep = format!("{{{{ {} }}}}", deep_chain(10_000));
    for value in [deep.clone(), format!("a {deep}")] {
        let out = render_with(vec![("v", s(&value)), ("x", s("1"))], "{{ v }}\n");
        assert!(out.text.is_none());
        assert_eq!(
            out.problems[0].kind,
            ProblemKind::Syntax,
            "{:?}",
            out.problems
        );
        assert!(
            out.problems[0].message.contains("mxlint refuses"),
            "{:?}",
            out.problems
        );
    }
    let err = Renderer::new()
        .eval_condition(&fleet(vec![]), 0, &Vars::new(), &deep_chain(10_000))
        .unwrap_err();
    assert_eq!(err.kind, ProblemKind::Syntax);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inc.j2"), format!("{deep}\n")).unwrap();
    let job = RenderJob::new(
        TemplateSource {
            path: dir.path().join("t.j2"),
            text: Arc::from("{% include 'inc.j2' %}\n"),
        },
        0,
    );
    let out = Renderer::new().render(&fleet(vec![]), &job);
    assert!(out.text.is_none());
    assert!(
        out.problems[0].message.contains("mxlint refuses"),
        "{:?}",
        out.problems
    );
}

/// The fuel is bounded so a runaway render stops early, yet real heavy templates still fit.
#[test]
fn a_loop_over_20000_users_renders_within_the_fuel() {
    let users: Vec<Node> = (0..20_000)
        .map(|i| {
            let group = if i % 10 == 0 { "wheel" } else { "staff" };
            let entry = |k: &str, v: Y| ((*node(s(k))).clone(), (*node(v)).clone());
            (*node(Y::Map(vec![
                entry("name", s(&format!("user{i:05}"))),
                entry("quota", s("2G")),
                entry(
                    "groups",
                    Y::Seq(vec![(*node(s("mail"))).clone(), (*node(s(group))).clone()]),
                ),
            ])))
            .clone()
        })
        .collect();
    let text = "{% for u in users %}\n\
        {{ u.name }}@{{ domain }}:{{ u.quota | default('1G') }}:{{ u.groups | join(',') }}:\
        {{ 'admin' if 'wheel' in u.groups else 'user' }}\n\
        {% endfor %}\n";
    let out = render_with(
        vec![("users", Y::Seq(users)), ("domain", s("example.org"))],
        text,
    );
    let text = out.text.unwrap_or_else(|| panic!("{:?}", out.problems));
    assert_eq!(text.lines().count(), 20_000);
    assert!(
        text.starts_with("user00000@example.org:2G:mail,wheel:admin\n"),
        "{}",
        &text[..80]
    );
}
