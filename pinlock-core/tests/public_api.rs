//! The public surface of pinlock-core is deliberate: every public module, item, field, variant,
//! method and trait impl is recorded in `pinlock-core/public-api.txt`, and this test fails when
//! the source's public surface differs from that record.
//!
//! The surface is read from the source with `syn` (no nightly rustdoc JSON needed): starting at
//! `src/lib.rs`, every `pub mod` is followed (private and `pub(crate)` modules are not: what they
//! export reaches users only through a `pub use`, which is recorded), `#[cfg(test)]` items are
//! skipped, and `#[cfg(...)]` attributes (the `online` feature) prefix the lines they gate.
//!
//! After a deliberate change, re-record the surface and commit the file with the change:
//!
//! ```text
//! PINLOCK_BLESS=1 cargo test -p pinlock-core --test public_api
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::{Attribute, Fields, ImplItem, Item, TraitItem, Visibility};

const RECORD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/public-api.txt");

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream().to_string()
}

/// `name<generics>(inputs) -> output where ...`, with `async`/`const`/`unsafe` as a suffix.
fn sig(s: &syn::Signature) -> String {
    let mut quals = Vec::new();
    if s.constness.is_some() {
        quals.push("const");
    }
    if s.asyncness.is_some() {
        quals.push("async");
    }
    if s.unsafety.is_some() {
        quals.push("unsafe");
    }
    let mut out = format!(
        "{}{} ({}) {} {}",
        s.ident,
        tokens(&s.generics),
        tokens(&s.inputs),
        tokens(&s.output),
        tokens(&s.generics.where_clause)
    )
    .trim_end()
    .to_string();
    if !quals.is_empty() {
        out.push_str(&format!(" [{}]", quals.join(" ")));
    }
    out
}

fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let t = tokens(&a.meta);
            t == "cfg (test)" || t.starts_with("cfg (all (test")
        }
    })
}

/// The item's `#[cfg(...)]` attributes, as a prefix.
fn cfgs(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .map(|a| format!("#[{}] ", tokens(&a.meta)))
        .collect()
}

fn derives(attrs: &[Attribute]) -> String {
    let d: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .map(|a| tokens(&a.meta))
        .collect();
    if d.is_empty() {
        String::new()
    } else {
        format!(" #[{}]", d.join(", "))
    }
}

fn is_pub(v: &Visibility) -> bool {
    matches!(v, Visibility::Public(_))
}

/// Field list without attributes (doc comments): `{ a : T , pub b : U }` / `(T)`.
fn fields(f: &Fields, only_pub: bool) -> String {
    match f {
        Fields::Unit => String::new(),
        Fields::Named(n) => {
            let v: Vec<String> = n
                .named
                .iter()
                .filter(|f| !only_pub || is_pub(&f.vis))
                .map(|f| {
                    format!(
                        "{}: {}",
                        f.ident
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        tokens(&f.ty)
                    )
                })
                .collect();
            format!(" {{ {} }}", v.join(", "))
        }
        Fields::Unnamed(u) => {
            let v: Vec<String> = u
                .unnamed
                .iter()
                .map(|f| {
                    if !only_pub || is_pub(&f.vis) {
                        tokens(&f.ty)
                    } else {
                        "_".to_string()
                    }
                })
                .collect();
            format!("({})", v.join(", "))
        }
    }
}

#[derive(Default)]
struct Walker {
    /// The recorded lines.
    out: Vec<String>,
    /// Whether the module being read is private (or inside one).
    private: bool,
    /// The name of the item being read (an impl's: its type's).
    key: String,
    /// Lines of private modules' items, by name: recorded when a `pub use` names them.
    hidden: Vec<(String, String)>,
    /// Every name a `pub use` re-exports.
    reexported: BTreeSet<String>,
}

/// The names a use tree brings in (`a::{b, c as d}` -> b, c).
fn use_names(t: &syn::UseTree, out: &mut BTreeSet<String>) {
    match t {
        syn::UseTree::Path(p) => use_names(&p.tree, out),
        syn::UseTree::Name(n) => {
            out.insert(n.ident.to_string());
        }
        syn::UseTree::Rename(r) => {
            out.insert(r.ident.to_string());
        }
        syn::UseTree::Glob(_) => {}
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
    }
}

fn item_name(item: &Item) -> String {
    match item {
        Item::Fn(f) => f.sig.ident.to_string(),
        Item::Const(k) => k.ident.to_string(),
        Item::Static(s) => s.ident.to_string(),
        Item::Type(t) => t.ident.to_string(),
        Item::Struct(s) => s.ident.to_string(),
        Item::Enum(e) => e.ident.to_string(),
        Item::Trait(t) => t.ident.to_string(),
        Item::Impl(i) => self_name(&i.self_ty),
        _ => String::new(),
    }
}

impl Walker {
    fn line(&mut self, cfg: &str, s: String) {
        let line = format!("{cfg}{s}");
        if self.private {
            self.hidden.push((self.key.clone(), line));
        } else {
            self.out.push(line);
        }
    }

    /// Adds the re-exported items of private modules; sorts.
    fn finish(mut self) -> Vec<String> {
        for (key, line) in std::mem::take(&mut self.hidden) {
            if self.reexported.contains(&key) {
                self.out.push(line);
            }
        }
        self.out.sort();
        self.out.dedup();
        self.out
    }

    /// The items of module `path` (`pinlock_core::a::b`), whose child modules live in `dir`.
    fn module(&mut self, path: &str, dir: &Path, cfg: &str, items: &[Item]) {
        // Impls are recorded for the module's public types only.
        let public_types: Vec<String> = items
            .iter()
            .filter_map(|i| match i {
                Item::Struct(s) if is_pub(&s.vis) => Some(s.ident.to_string()),
                Item::Enum(e) if is_pub(&e.vis) => Some(e.ident.to_string()),
                Item::Type(t) if is_pub(&t.vis) => Some(t.ident.to_string()),
                _ => None,
            })
            .collect();
        for item in items {
            self.key = item_name(item);
            match item {
                Item::Mod(m) if !is_test(&m.attrs) => {
                    let name = m.ident.to_string();
                    let cfg = format!("{cfg}{}", cfgs(&m.attrs));
                    let child = format!("{path}::{name}");
                    let was_private = self.private;
                    if is_pub(&m.vis) {
                        self.line(&cfg, format!("mod {child}"));
                    } else {
                        // Followed for what a `pub use` re-exports from it.
                        self.private = true;
                    }
                    let child_dir = dir.join(&name);
                    match &m.content {
                        Some((_, items)) => self.module(&child, &child_dir, &cfg, items),
                        None => {
                            let file = [dir.join(format!("{name}.rs")), child_dir.join("mod.rs")]
                                .into_iter()
                                .find(|f| f.exists())
                                .unwrap_or_else(|| panic!("no file for module {child}"));
                            let parsed = parse(&file);
                            self.module(&child, &child_dir, &cfg, &parsed.items);
                        }
                    }
                    self.private = was_private;
                }
                Item::Use(u) if is_pub(&u.vis) && !is_test(&u.attrs) => {
                    use_names(&u.tree, &mut self.reexported);
                    let c = format!("{cfg}{}", cfgs(&u.attrs));
                    self.line(&c, format!("use {path}: {}", tokens(&u.tree)));
                }
                Item::Fn(f) if is_pub(&f.vis) && !is_test(&f.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&f.attrs));
                    self.line(&c, format!("fn {path}::{}", sig(&f.sig)));
                }
                Item::Const(k) if is_pub(&k.vis) && !is_test(&k.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&k.attrs));
                    self.line(&c, format!("const {path}::{}: {}", k.ident, tokens(&k.ty)));
                }
                Item::Static(s) if is_pub(&s.vis) && !is_test(&s.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&s.attrs));
                    self.line(&c, format!("static {path}::{}: {}", s.ident, tokens(&s.ty)));
                }
                Item::Type(t) if is_pub(&t.vis) && !is_test(&t.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&t.attrs));
                    self.line(
                        &c,
                        format!(
                            "type {path}::{}{} = {}",
                            t.ident,
                            tokens(&t.generics),
                            tokens(&t.ty)
                        ),
                    );
                }
                Item::Struct(s) if is_pub(&s.vis) && !is_test(&s.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&s.attrs));
                    let hidden = match &s.fields {
                        Fields::Named(n) => n.named.iter().any(|f| !is_pub(&f.vis)),
                        Fields::Unnamed(u) => u.unnamed.iter().any(|f| !is_pub(&f.vis)),
                        Fields::Unit => false,
                    };
                    self.line(
                        &c,
                        format!(
                            "struct {path}::{}{}{}{}{}",
                            s.ident,
                            tokens(&s.generics),
                            fields(&s.fields, true),
                            if hidden { " (+ private fields)" } else { "" },
                            derives(&s.attrs)
                        ),
                    );
                }
                Item::Enum(e) if is_pub(&e.vis) && !is_test(&e.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&e.attrs));
                    let non_exhaustive =
                        e.attrs.iter().any(|a| a.path().is_ident("non_exhaustive"));
                    self.line(
                        &c,
                        format!(
                            "enum {path}::{}{}{}{}",
                            e.ident,
                            tokens(&e.generics),
                            if non_exhaustive {
                                " #[non_exhaustive]"
                            } else {
                                ""
                            },
                            derives(&e.attrs)
                        ),
                    );
                    for v in &e.variants {
                        self.line(
                            &c,
                            format!(
                                "variant {path}::{}::{}{}",
                                e.ident,
                                v.ident,
                                fields(&v.fields, false)
                            ),
                        );
                    }
                }
                Item::Trait(t) if is_pub(&t.vis) && !is_test(&t.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&t.attrs));
                    self.line(
                        &c,
                        format!("trait {path}::{}{}", t.ident, tokens(&t.generics)),
                    );
                    for ti in &t.items {
                        if let TraitItem::Fn(f) = ti {
                            self.line(&c, format!("fn {path}::{}::{}", t.ident, sig(&f.sig)));
                        }
                    }
                }
                Item::Impl(i)
                    if !is_test(&i.attrs) && public_types.contains(&self_name(&i.self_ty)) =>
                {
                    let c = format!("{cfg}{}", cfgs(&i.attrs));
                    let ty = tokens(&i.self_ty);
                    match &i.trait_ {
                        Some((bang, tr, _)) => self.line(
                            &c,
                            format!(
                                "impl{} {}{} for {path}::{ty}",
                                tokens(&i.generics),
                                if bang.is_some() { "!" } else { "" },
                                tokens(tr)
                            ),
                        ),
                        None => {
                            for ii in &i.items {
                                match ii {
                                    ImplItem::Fn(f) if is_pub(&f.vis) && !is_test(&f.attrs) => {
                                        let c = format!("{c}{}", cfgs(&f.attrs));
                                        self.line(&c, format!("fn {path}::{ty}::{}", sig(&f.sig)));
                                    }
                                    ImplItem::Const(k) if is_pub(&k.vis) => self.line(
                                        &c,
                                        format!(
                                            "const {path}::{ty}::{}: {}",
                                            k.ident,
                                            tokens(&k.ty)
                                        ),
                                    ),
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                Item::Macro(m) if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) => {
                    let name = m
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    self.line(cfg, format!("macro pinlock_core::{name}!"));
                }
                _ => {}
            }
        }
    }
}

/// The name of an impl's self type (`Foo` of `Foo<'a>`).
fn self_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn parse(file: &Path) -> syn::File {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// The public surface, one sorted line per item.
fn surface() -> String {
    let src = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let lib = parse(&src.join("lib.rs"));
    let mut w = Walker::default();
    w.module("pinlock_core", &src, "", &lib.items);
    let lines = w.finish();
    let mut text = String::from(
        "# The public API of pinlock-core, read from its source by tests/public_api.rs.\n\
         # Generated: after a deliberate change run\n\
         #   PINLOCK_BLESS=1 cargo test -p pinlock-core --test public_api\n\
         # and commit this file with the change.\n",
    );
    for l in &lines {
        let _ = writeln!(text, "{l}");
    }
    text
}

#[test]
fn public_api_is_recorded() {
    let now = surface();
    if std::env::var_os("PINLOCK_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(RECORD, &now).expect("write public-api.txt");
        return;
    }
    let recorded = std::fs::read_to_string(RECORD).unwrap_or_default();
    if recorded != now {
        let diff = similar::TextDiff::from_lines(&recorded, &now)
            .unified_diff()
            .header("public-api.txt (recorded)", "source (now)")
            .to_string();
        panic!(
            "the public API of pinlock-core changed without being recorded:\n{diff}\n\
             hint: if the change is deliberate, run \
             `PINLOCK_BLESS=1 cargo test -p pinlock-core --test public_api` and commit \
             pinlock-core/public-api.txt"
        );
    }
}

/// The walker sees what it should: a change to a public item shows up in the surface (so the
/// test above would fail), and private or test-only items do not.
#[test]
fn an_unrecorded_change_is_caught() {
    let parsed: syn::File = syn::parse_str(
        "pub mod a { pub fn f(x: u8) -> u8 { x } fn hidden() {} \
         #[cfg(test)] pub fn t() {} pub struct S { pub x: u8, y: u8 } }\n\
         pub(crate) mod internal { pub fn g() {} }\n\
         mod inner { pub struct R { pub f: u8 } pub struct Q; } pub use inner::R;\n\
         #[cfg(feature = \"online\")] pub mod net { pub enum E { A, B(String) } }",
    )
    .unwrap();
    let mut w = Walker::default();
    w.module("c", Path::new("/nonexistent"), "", &parsed.items);
    let text = w.finish().join("\n");
    assert!(text.contains("fn c::a::f (x : u8) -> u8"), "{text}");
    assert!(
        text.contains("struct c::a::S { x: u8 } (+ private fields)"),
        "{text}"
    );
    assert!(
        text.contains("#[cfg (feature = \"online\")] variant c::net::E::B(String)"),
        "{text}"
    );
    assert!(!text.contains("hidden") && !text.contains("internal") && !text.contains("::t"));
    // A private module's item is recorded when re-exported, under its real path.
    assert!(text.contains("struct c::inner::R { f: u8 }"), "{text}");
    assert!(!text.contains("Q"), "{text}");

    // The same module with one changed signature gives a different surface.
    let changed: syn::File = syn::parse_str("pub mod a { pub fn f(x: u16) -> u8 { 0 } }").unwrap();
    let mut w2 = Walker::default();
    w2.module("c", Path::new("/nonexistent"), "", &changed.items);
    assert!(!w2.out.iter().any(|l| l == "fn c::a::f (x : u8) -> u8"));
}
