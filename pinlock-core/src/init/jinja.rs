//! A small, honest Jinja subset for `init`: what a role's defaults and repository lines usually
//! hold, evaluated statically.
//!
//! Supported: variables (`name`, `a.b`, `a['b']`), string literals, list literals, parentheses,
//! string (and list) concatenation with `~` and `+`, the filters `lower`, `upper`, `trim`,
//! `string`, `join(sep)` and `default(...)` / `d(...)`, and a whole expression
//! `A if COND else B` (else-chains included) whose condition compares known values with literals (decided as `when`
//! conditions are: [`crate::ansible::when::eval`]). Anything else (undecidable conditions,
//! tests such as `is defined`, other filters, `{% %}` blocks, arithmetic) is [`Unresolved`]:
//! `init` then writes a placeholder instead of guessing.

use std::collections::BTreeMap;

/// A value: what a YAML variable or an expression gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JVal {
    /// A string (YAML scalars are all read as strings).
    Str(String),
    /// A list.
    List(Vec<JVal>),
    /// A mapping.
    Map(BTreeMap<String, JVal>),
}

/// Why an expression could not be evaluated statically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Unresolved {
    /// The expression (or the part of it) that failed.
    pub expr: String,
    /// Why, lowercase, e.g. `variable docker_x is not defined in ...`.
    pub reason: String,
    /// Whether naming targets (`--target`) would help: a fact was needed and none was given.
    pub needs_target: bool,
}

/// Where names are looked up.
pub(crate) trait Scope {
    /// The value of variable or fact `path[0]` (with `path[1..]` attribute/key accesses), or
    /// `Err` when it is not known statically; `Ok(None)` when it is not defined at all.
    fn lookup(&self, path: &[String]) -> Result<Option<JVal>, Unresolved>;
}

const MAX_DEPTH: usize = 16;

/// Whether `s` contains Jinja syntax.
pub(crate) fn has_jinja(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Renders a template. A template that is exactly one `{{ expr }}` gives that expression's
/// value (a list stays a list); anything else gives a string.
pub(crate) fn render(template: &str, scope: &dyn Scope, depth: usize) -> Result<JVal, Unresolved> {
    if depth > MAX_DEPTH {
        return Err(Unresolved {
            expr: template.to_string(),
            reason: "variables refer to each other too deeply (a cycle?)".into(),
            needs_target: false,
        });
    }
    let trimmed = template.trim();
    if let Some(inner) = single_expression(trimmed) {
        return eval_text(inner, scope, depth);
    }
    let mut out = String::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let after = &rest[i..];
        if after.starts_with("{{") {
            let end = after.find("}}").ok_or_else(|| Unresolved {
                expr: after.to_string(),
                reason: "unclosed `{{`".into(),
                needs_target: false,
            })?;
            out.push_str(&rest[..i]);
            match eval_text(&after[2..end], scope, depth)? {
                JVal::Str(s) => out.push_str(&s),
                _ => {
                    return Err(Unresolved {
                        expr: after[..end + 2].to_string(),
                        reason: "a list or mapping inside a string".into(),
                        needs_target: false,
                    })
                }
            }
            rest = &after[end + 2..];
        } else if after.starts_with("{%") {
            return Err(Unresolved {
                expr: after.split("%}").next().unwrap_or(after).to_string() + "%}",
                reason: "a Jinja statement (`{% ... %}`), which init does not evaluate".into(),
                needs_target: false,
            });
        } else if after.starts_with("{#") {
            out.push_str(&rest[..i]);
            rest = after.find("#}").map_or("", |e| &after[e + 2..]);
        } else {
            out.push_str(&rest[..=i]);
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    Ok(JVal::Str(out))
}

/// `Some(inner)` when `s` is exactly `{{ inner }}` (one expression, nothing around it).
pub(crate) fn single_expression(s: &str) -> Option<&str> {
    let inner = s.strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then_some(inner)
}

/// The variable path of `{{ a.b['c'] }}` (`["a", "b", "c"]`), when the template is exactly one
/// variable reference and nothing else.
pub(crate) fn var_path(template: &str) -> Option<Vec<String>> {
    let inner = single_expression(template.trim())?;
    let tokens = lex(inner).ok()?;
    let mut path = Vec::new();
    let mut i = 0;
    match tokens.first()? {
        Tok::Name(n) => path.push(n.clone()),
        _ => return None,
    }
    i += 1;
    while i < tokens.len() {
        match (&tokens[i], tokens.get(i + 1), tokens.get(i + 2)) {
            (Tok::Sym('.'), Some(Tok::Name(n)), _) => {
                path.push(n.clone());
                i += 2;
            }
            (Tok::Sym('['), Some(Tok::Str(k)), Some(Tok::Sym(']'))) => {
                path.push(k.clone());
                i += 3;
            }
            _ => return None,
        }
    }
    Some(path)
}

fn eval_text(expr: &str, scope: &dyn Scope, depth: usize) -> Result<JVal, Unresolved> {
    if let Some(v) = conditional(expr, scope, depth)? {
        return Ok(v);
    }
    let tokens = lex(expr).map_err(|reason| Unresolved {
        expr: format!("{{{{{expr}}}}}"),
        reason,
        needs_target: false,
    })?;
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        scope,
        depth,
        text: expr,
        undefined: None,
    };
    let v = p.concat()?;
    if p.pos != tokens.len() {
        return Err(p.unsupported());
    }
    match v {
        Some(v) => Ok(v),
        None => Err(Unresolved {
            expr: format!("{{{{{}}}}}", expr),
            reason: p.undefined_reason(),
            needs_target: false,
        }),
    }
}

/// `A if COND else B` (the `else` part optional: an empty string, as Jinja gives): `Ok(None)`
/// when `expr` is not a conditional. The condition is decided as a `when` condition, each
/// compared side evaluated here; one that cannot be decided is [`Unresolved`].
fn conditional(expr: &str, scope: &dyn Scope, depth: usize) -> Result<Option<JVal>, Unresolved> {
    use crate::ansible::when::{eval, split_top};
    let Some(parts) = split_top(expr, " if ") else {
        return Ok(None);
    };
    let (then, rest) = (parts[0], parts[1..].join(" if "));
    // `A if C else B if D else E`: the first `else` at the top level ends the condition
    let (cond, otherwise) = match split_top(&rest, " else ") {
        Some(p) => (p[0].to_string(), Some(p[1..].join(" else "))),
        None => (rest.clone(), None),
    };
    let value = |lhs: &str| match eval_text(lhs, scope, depth + 1) {
        Ok(JVal::Str(s)) => Some(s),
        _ => None,
    };
    // a bare value as the condition (`'=' + v if v else ''`): its truthiness
    let decided = eval(&cond, &value).or_else(|| match eval_text(&cond, scope, depth + 1) {
        Ok(v) => truthy(&v),
        Err(_) => None,
    });
    match decided {
        Some(true) => eval_text(then, scope, depth + 1).map(Some),
        Some(false) => match otherwise {
            Some(o) => eval_text(&o, scope, depth + 1).map(Some),
            None => Ok(Some(JVal::Str(String::new()))),
        },
        None => Err(Unresolved {
            expr: format!("{{{{{expr}}}}}"),
            reason: format!(
                "its condition `{}` cannot be decided statically",
                cond.trim()
            ),
            needs_target: false,
        }),
    }
}

/// Jinja's truthiness of a value init read from YAML, where every scalar is a string: empty
/// and YAML's false-like scalars (`false`, `no`, `off`, `0`, `null`, `~`) are false, other
/// strings true; a list or mapping is true when it is not empty.
fn truthy(v: &JVal) -> Option<bool> {
    Some(match v {
        JVal::Str(s) => !matches!(
            s.trim(),
            "" | "false"
                | "False"
                | "FALSE"
                | "no"
                | "No"
                | "NO"
                | "off"
                | "Off"
                | "OFF"
                | "0"
                | "null"
                | "Null"
                | "NULL"
                | "~"
        ),
        JVal::List(l) => !l.is_empty(),
        JVal::Map(m) => !m.is_empty(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Name(String),
    Num(String),
    Sym(char),
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' || c == '"' {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next() {
                    None => return Err("unclosed string".into()),
                    Some('\\') => {
                        if let Some(n) = chars.next() {
                            v.push(n);
                        }
                    }
                    Some(x) if x == c => break,
                    Some(x) => v.push(x),
                }
            }
            out.push(Tok::Str(v));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut v = String::new();
            while let Some(&x) = chars.peek() {
                if x.is_ascii_alphanumeric() || x == '_' {
                    v.push(x);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Name(v));
        } else if c.is_ascii_digit() {
            let mut v = String::new();
            while let Some(&x) = chars.peek() {
                if x.is_ascii_alphanumeric() || x == '.' {
                    v.push(x);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(Tok::Num(v));
        } else {
            out.push(Tok::Sym(c));
            chars.next();
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: &'a [Tok],
    pos: usize,
    scope: &'a dyn Scope,
    depth: usize,
    text: &'a str,
    /// The first variable found undefined.
    undefined: Option<String>,
}

/// An undefined variable evaluates to `None` (so that `default(...)` can replace it).
type Eval = Result<Option<JVal>, Unresolved>;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn eat_sym(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Sym(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn unsupported(&self) -> Unresolved {
        Unresolved {
            expr: format!("{{{{{}}}}}", self.text),
            reason: "uses Jinja that init does not evaluate (it knows variables, `~`, `+`, `| lower`, `| join(...)`, `| default(...)`, `A if COND else B`)".into(),
            needs_target: false,
        }
    }

    fn undefined_reason(&self) -> String {
        format!(
            "variable {} is not defined in the role's defaults/ or vars/, the play's vars or group_vars",
            self.undefined.as_deref().unwrap_or("?")
        )
    }

    /// `filtered (('~' | '+') filtered)*`
    fn concat(&mut self) -> Eval {
        let mut acc = self.filtered()?;
        while let Some(Tok::Sym(op @ ('~' | '+'))) = self.peek() {
            let op = *op;
            self.pos += 1;
            let rhs = self.filtered()?;
            acc = match (acc, rhs) {
                (Some(JVal::Str(a)), Some(JVal::Str(b))) => Some(JVal::Str(a + &b)),
                (Some(JVal::List(mut a)), Some(JVal::List(b))) if op == '+' => {
                    a.extend(b);
                    Some(JVal::List(a))
                }
                (None, _) | (_, None) => return Ok(None),
                _ => return Err(self.unsupported()),
            };
        }
        Ok(acc)
    }

    /// `primary ('|' filter)*`
    fn filtered(&mut self) -> Eval {
        let mut v = self.primary()?;
        while self.eat_sym('|') {
            let name = match self.peek() {
                Some(Tok::Name(n)) => n.clone(),
                _ => return Err(self.unsupported()),
            };
            self.pos += 1;
            v = match name.as_str() {
                "lower" | "upper" | "trim" | "string" => match v {
                    Some(JVal::Str(s)) => Some(JVal::Str(match name.as_str() {
                        "lower" => s.to_lowercase(),
                        "upper" => s.to_uppercase(),
                        "trim" => s.trim().to_string(),
                        _ => s,
                    })),
                    None => None,
                    Some(_) => return Err(self.unsupported()),
                },
                "join" => {
                    let sep = if self.eat_sym('(') {
                        let sep = match self.peek() {
                            Some(Tok::Str(sep)) => sep.clone(),
                            _ => return Err(self.unsupported()),
                        };
                        self.pos += 1;
                        if !self.eat_sym(')') {
                            return Err(self.unsupported());
                        }
                        sep
                    } else {
                        String::new()
                    };
                    match v {
                        Some(JVal::List(items)) => {
                            let mut parts = Vec::new();
                            for it in items {
                                match it {
                                    JVal::Str(x) => parts.push(x),
                                    _ => return Err(self.unsupported()),
                                }
                            }
                            Some(JVal::Str(parts.join(&sep)))
                        }
                        None => None,
                        Some(_) => return Err(self.unsupported()),
                    }
                }
                "default" | "d" => {
                    if !self.eat_sym('(') {
                        return Err(self.unsupported());
                    }
                    let fallback = if self.peek() == Some(&Tok::Sym(')')) {
                        Some(JVal::Str(String::new()))
                    } else {
                        self.concat()?
                    };
                    // `default(x, true)` also replaces an empty value
                    let mut boolean = false;
                    if self.eat_sym(',') {
                        boolean =
                            matches!(self.peek(), Some(Tok::Name(n)) if n == "true" || n == "True");
                        self.pos += 1;
                    }
                    if !self.eat_sym(')') {
                        return Err(self.unsupported());
                    }
                    match v {
                        None => fallback,
                        Some(JVal::Str(s)) if boolean && s.is_empty() => fallback,
                        Some(x) => Some(x),
                    }
                }
                _ => return Err(self.unsupported()),
            };
        }
        Ok(v)
    }

    fn primary(&mut self) -> Eval {
        let tok = self.peek().cloned().ok_or_else(|| self.unsupported())?;
        self.pos += 1;
        match tok {
            Tok::Str(s) => Ok(Some(JVal::Str(s))),
            Tok::Num(n) => Ok(Some(JVal::Str(n))),
            Tok::Sym('(') => {
                let v = self.concat()?;
                if !self.eat_sym(')') {
                    return Err(self.unsupported());
                }
                Ok(v)
            }
            Tok::Sym('[') => {
                let mut items = Vec::new();
                if !self.eat_sym(']') {
                    loop {
                        match self.concat()? {
                            Some(v) => items.push(v),
                            None => return Ok(None),
                        }
                        if self.eat_sym(']') {
                            break;
                        }
                        if !self.eat_sym(',') {
                            return Err(self.unsupported());
                        }
                    }
                }
                Ok(Some(JVal::List(items)))
            }
            Tok::Name(n) => {
                if matches!(
                    n.as_str(),
                    "if" | "else" | "not" | "and" | "or" | "is" | "in"
                ) {
                    return Err(self.unsupported());
                }
                let mut path = vec![n];
                loop {
                    if self.eat_sym('.') {
                        match self.peek().cloned() {
                            Some(Tok::Name(a)) => {
                                self.pos += 1;
                                path.push(a);
                            }
                            _ => return Err(self.unsupported()),
                        }
                    } else if self.peek() == Some(&Tok::Sym('['))
                        && matches!(self.tokens.get(self.pos + 1), Some(Tok::Str(_)))
                        && self.tokens.get(self.pos + 2) == Some(&Tok::Sym(']'))
                    {
                        if let Some(Tok::Str(k)) = self.tokens.get(self.pos + 1) {
                            path.push(k.clone());
                        }
                        self.pos += 3;
                    } else {
                        break;
                    }
                }
                if self.peek() == Some(&Tok::Sym('(')) {
                    return Err(self.unsupported());
                }
                let v = self.scope.lookup(&path)?;
                if v.is_none() && self.undefined.is_none() {
                    self.undefined = Some(path.join("."));
                }
                match v {
                    Some(JVal::Str(s)) if has_jinja(&s) => {
                        render(&s, self.scope, self.depth + 1).map(Some)
                    }
                    Some(JVal::List(items)) => {
                        let mut out = Vec::new();
                        for it in items {
                            match it {
                                JVal::Str(s) if has_jinja(&s) => {
                                    out.push(render(&s, self.scope, self.depth + 1)?)
                                }
                                x => out.push(x),
                            }
                        }
                        Ok(Some(JVal::List(out)))
                    }
                    other => Ok(other),
                }
            }
            Tok::Sym(_) => Err(self.unsupported()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vars(BTreeMap<String, JVal>);
    impl Scope for Vars {
        fn lookup(&self, path: &[String]) -> Result<Option<JVal>, Unresolved> {
            let mut v = match self.0.get(&path[0]) {
                Some(v) => v.clone(),
                None => return Ok(None),
            };
            for k in &path[1..] {
                v = match v {
                    JVal::Map(m) => match m.get(k) {
                        Some(x) => x.clone(),
                        None => return Ok(None),
                    },
                    _ => return Ok(None),
                };
            }
            Ok(Some(v))
        }
    }

    fn vars() -> Vars {
        let s = |x: &str| JVal::Str(x.into());
        Vars(BTreeMap::from([
            ("url".into(), s("https://r.example/linux")),
            ("distro".into(), s("Debian")),
            ("channel".into(), s("{{ chan | default('stable') }}")),
            ("edition".into(), s("ce")),
            (
                "pkgs".into(),
                JVal::List(vec![s("docker-{{ edition }}"), s("containerd.io")]),
            ),
            ("extra".into(), JVal::List(vec![s("pigz")])),
            ("empty".into(), s("")),
            ("arch".into(), s("aarch64")),
            (
                "facts".into(),
                JVal::Map(BTreeMap::from([(
                    "distribution_release".into(),
                    s("bookworm"),
                )])),
            ),
            ("loop1".into(), s("{{ loop2 }}")),
            ("loop2".into(), s("{{ loop1 }}")),
        ]))
    }

    fn ok(t: &str) -> JVal {
        render(t, &vars(), 0).unwrap_or_else(|e| panic!("{t}: {e:?}"))
    }

    fn fails(t: &str) -> Unresolved {
        render(t, &vars(), 0).expect_err(t)
    }

    #[test]
    fn evaluates_the_subset() {
        let s = |x: &str| JVal::Str(x.into());
        assert_eq!(
            ok("{{ url }}/{{ distro | lower }} {{ facts.distribution_release }} {{ channel }}"),
            s("https://r.example/linux/debian bookworm stable")
        );
        assert_eq!(ok("{{ facts['distribution_release'] }}"), s("bookworm"));
        assert_eq!(ok("{{ 'docker-' ~ edition }}"), s("docker-ce"));
        assert_eq!(ok("{{ url + '/x' }}"), s("https://r.example/linux/x"));
        assert_eq!(ok("{{ nope | default('') }}"), s(""));
        assert_eq!(ok("{{ nope | d(distro) | upper }}"), s("DEBIAN"));
        assert_eq!(ok("{{ empty | default('x', true) }}"), s("x"));
        assert_eq!(ok("{{ empty | default('x') }}"), s(""));
        assert_eq!(ok("plain {# comment #}text"), s("plain text"));
        assert_eq!(
            ok("{{ pkgs + extra }}"),
            JVal::List(vec![s("docker-ce"), s("containerd.io"), s("pigz")])
        );
        assert_eq!(ok("{{ ['a', 'b'] }}"), JVal::List(vec![s("a"), s("b")]));
        assert_eq!(ok("{{ pkgs | join(',') }}"), s("docker-ce,containerd.io"));
        assert_eq!(ok("x{{ '=' + empty if empty else '' }}"), s("x"));
        assert_eq!(ok("x{{ '=' + edition if edition else '' }}"), s("x=ce"));
        assert_eq!(ok("{{ 'a' if extra else 'b' }}"), s("a"));
        assert_eq!(ok("{{ extra | join }}"), s("pigz"));
        assert_eq!(
            ok("{{ 'arm64' if arch == 'aarch64' else 'armhf' if arch == 'armv7l' else 'amd64' }}"),
            s("arm64")
        );
        assert_eq!(
            ok("{{ 'x' if distro | lower == 'ubuntu' else 'y' }}"),
            s("y")
        );
        assert_eq!(
            ok("deb [arch={{ 'amd64' if arch != 'aarch64' }}] u"),
            s("deb [arch=] u")
        );
        assert_eq!(
            ok("{{ 'a' if facts['distribution_release'] in ['bookworm', 'trixie'] else 'b' }}"),
            s("a")
        );
    }

    #[test]
    fn variable_paths() {
        assert_eq!(
            var_path("{{ repo['apt'].line }}"),
            Some(vec!["repo".to_string(), "apt".into(), "line".into()])
        );
        assert_eq!(var_path("{{ repo }}"), Some(vec!["repo".to_string()]));
        assert_eq!(var_path("{{ repo | lower }}"), None);
        assert_eq!(var_path("x {{ repo }}"), None);
        assert_eq!(var_path("{{ m[k] }}"), None);
    }

    #[test]
    fn refuses_everything_else() {
        for t in [
            "{{ 'arm64' if nope == 'aarch64' else 'amd64' }}",
            "{{ 'signed-by' if key is not failed }}",
            "{{ pkgs | join(sep) }}",
            // a conditional inside a larger expression is not evaluated (only a whole one)
            "{{ ('a' if arch == 'aarch64' else 'b') ~ '!' }}",
            "{% if x %}a{% endif %}",
            "{{ lookup('env', 'HOME') }}",
            "{{ 1 * 2 }}",
            "{{ url ~ }}",
            "{{ pkgs }} and text",
        ] {
            let e = fails(t);
            assert!(!e.reason.is_empty(), "{t}");
        }
        assert!(fails("{{ nope }}")
            .reason
            .contains("variable nope is not defined"));
        assert!(fails("{{ loop1 }}").reason.contains("too deeply"));
    }
}
