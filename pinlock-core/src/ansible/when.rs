//! Ansible `when` conditions, three-valued: comparisons of a value the caller knows with
//! literals (`x == 'a'`, `!=`, `in [...]`, `not in [...]`) are decided, combined with `and`, `or`,
//! `not` and parentheses; what cannot be decided is `None` (it may hold). Shared by `init`
//! (facts of the targets the user names) and `pin` (is a task for another OS family only?).

/// Decides `cond` with `value(lhs)`, the value of a comparison's left-hand side (`None`: not
/// known). `None` when the condition cannot be decided.
pub(crate) fn eval(cond: &str, value: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
    let c = cond.split_whitespace().collect::<Vec<_>>().join(" ");
    logic(&c, value)
}

fn logic(c: &str, value: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
    let c = strip_parens(c.trim());
    if let Some(parts) = split_top(c, " or ") {
        let v: Vec<Option<bool>> = parts.iter().map(|p| logic(p, value)).collect();
        return if v.contains(&Some(true)) {
            Some(true)
        } else if v.iter().all(|x| *x == Some(false)) {
            Some(false)
        } else {
            None
        };
    }
    if let Some(parts) = split_top(c, " and ") {
        let v: Vec<Option<bool>> = parts.iter().map(|p| logic(p, value)).collect();
        return if v.contains(&Some(false)) {
            Some(false)
        } else if v.iter().all(|x| *x == Some(true)) {
            Some(true)
        } else {
            None
        };
    }
    if let Some(rest) = c.strip_prefix("not ") {
        if !rest.trim_start().starts_with("in ") {
            return logic(rest, value).map(|b| !b);
        }
    }
    condition(c, value)
}

fn condition(c: &str, value: &dyn Fn(&str) -> Option<String>) -> Option<bool> {
    if c.contains('(') {
        return None;
    }
    let (lhs, op, rhs) = [" not in ", " in ", "==", "!="].iter().find_map(|op| {
        c.split_once(op)
            .map(|(l, r)| (l.trim(), op.trim(), r.trim()))
    })?;
    let v = value(lhs)?;
    let literal = |s: &str| {
        let s = s.trim();
        let q = s.chars().next()?;
        (matches!(q, '\'' | '"') && s.len() >= 2 && s.ends_with(q))
            .then(|| s[1..s.len() - 1].to_string())
    };
    let list = |s: &str| -> Option<Vec<String>> {
        let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
        inner.split(',').map(literal).collect()
    };
    Some(match op {
        "==" => v == literal(rhs)?,
        "!=" => v != literal(rhs)?,
        "in" => list(rhs)?.contains(&v),
        _ => !list(rhs)?.contains(&v),
    })
}

/// `c` without parentheses that enclose all of it.
fn strip_parens(mut c: &str) -> &str {
    while c.starts_with('(') && c.ends_with(')') {
        let inner = &c[1..c.len() - 1];
        let mut depth = 0i32;
        let balanced = inner.chars().all(|ch| {
            match ch {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            depth >= 0
        });
        if !balanced || depth != 0 {
            break;
        }
        c = inner.trim();
    }
    c
}

/// `c` split at `sep` outside parentheses, brackets and quotes (`None`: no such `sep`).
pub(crate) fn split_top<'c>(c: &'c str, sep: &str) -> Option<Vec<&'c str>> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    let b = c.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let ch = b[i] as char;
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None => match ch {
                '\'' | '"' => quote = Some(ch),
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                _ if depth == 0 && b[i..].starts_with(sep.as_bytes()) => {
                    parts.push(&c[start..i]);
                    i += sep.len();
                    start = i;
                    continue;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if parts.is_empty() {
        return None;
    }
    parts.push(&c[start..]);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::eval;

    #[test]
    fn three_valued() {
        let value = |lhs: &str| (lhs == "x").then(|| "a".to_string());
        let e = |c: &str| eval(c, &value);
        assert_eq!(e("x == 'a'"), Some(true));
        assert_eq!(e("x != 'a'"), Some(false));
        assert_eq!(e("x in ['b', 'a']"), Some(true));
        assert_eq!(e("x not in ['b', 'a']"), Some(false));
        assert_eq!(e("y == 'a'"), None);
        assert_eq!(e("y == 'a' and x == 'b'"), Some(false));
        assert_eq!(e("y == 'a' or x == 'a'"), Some(true));
        assert_eq!(e("y == 'a' or x == 'b'"), None);
        assert_eq!(e("not (x == 'b')"), Some(true));
        assert_eq!(e("(x == 'a'\n  and x != 'c')"), Some(true));
        assert_eq!(e("x == 'a' and f(x)"), None);
    }
}
