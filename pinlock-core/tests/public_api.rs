//! The public surface of pinlock-core is deliberate: every public module, item, field, variant,
//! method and trait impl is recorded in `pinlock-core/public-api.txt`, and this test fails when
//! the source's public surface differs from that record.
//!
//! The surface is read from the source with `syn` (no nightly rustdoc JSON needed), starting at
//! `src/lib.rs` and following every module, private ones included. An item is public when it is
//! `pub` in a chain of `pub` modules, or `pub` and re-exported by a `pub use` of a public
//! module; it is recorded under that public path (the nearest re-export for an item of a private
//! module), so moving code between private modules changes nothing here. Methods and trait
//! impls are recorded under their type's public path, wherever the `impl` block is.
//! `#[cfg(test)]` items are skipped; `#[cfg(...)]` attributes (the `online` feature) prefix the
//! lines they gate. Names are matched by identifier, which is enough for this crate.
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

/// Stands for the public path of the item a line describes, filled in at the end.
const HERE: &str = "\u{0}";

fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream().to_string()
}

/// `<generics>(inputs) -> output where ...` (after the name), with `async`/`const`/`unsafe` as
/// a suffix.
fn sig_rest(s: &syn::Signature) -> String {
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
        "{} ({}) {} {}",
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

/// Field list without attributes (doc comments): ` { a: T, b: U }` / `(T, _)`.
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

/// The names a use tree exports (`a::{b, c as d}` -> b, d) with the names they refer to.
fn use_names(t: &syn::UseTree, out: &mut Vec<(String, String)>) {
    match t {
        syn::UseTree::Path(p) => use_names(&p.tree, out),
        syn::UseTree::Name(n) => out.push((n.ident.to_string(), n.ident.to_string())),
        syn::UseTree::Rename(r) => out.push((r.rename.to_string(), r.ident.to_string())),
        syn::UseTree::Glob(_) => out.push(("*".into(), "*".into())),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
    }
}

/// One line about an item, its path still to be filled in.
struct Entry {
    /// The module the code is in.
    module: String,
    /// The item's name (of an impl: its type's).
    name: String,
    /// Whether the line is about an impl block (its type is looked up by name).
    is_impl: bool,
    /// `#[cfg]` prefix.
    cfg: String,
    /// The line, with [`HERE`] for the item's public path.
    text: String,
}

#[derive(Default)]
struct Walker {
    /// Lines that need no path resolution (modules, re-exports).
    out: Vec<String>,
    /// Item lines.
    entries: Vec<Entry>,
    /// Public modules (every ancestor `pub` too).
    public_modules: BTreeSet<String>,
    /// `pub use` of public modules: (module, exported name, original name).
    reexports: Vec<(String, String, String)>,
    /// Where each type or trait is defined: (module, name), for impl blocks.
    types: Vec<(String, String)>,
}

impl Walker {
    fn entry(&mut self, module: &str, name: String, is_impl: bool, cfg: &str, text: String) {
        self.entries.push(Entry {
            module: module.to_string(),
            name,
            is_impl,
            cfg: cfg.to_string(),
            text,
        });
    }

    /// The items of module `path` (`pinlock_core::a::b`), whose child modules live in `dir`.
    fn module(&mut self, path: &str, dir: &Path, cfg: &str, public: bool, items: &[Item]) {
        if public {
            self.public_modules.insert(path.to_string());
        }
        for item in items {
            match item {
                Item::Mod(m) if !is_test(&m.attrs) => {
                    let name = m.ident.to_string();
                    let cfg = format!("{cfg}{}", cfgs(&m.attrs));
                    let child = format!("{path}::{name}");
                    let child_public = public && is_pub(&m.vis);
                    if child_public {
                        self.out.push(format!("{cfg}mod {child}"));
                    }
                    let child_dir = dir.join(&name);
                    match &m.content {
                        Some((_, items)) => {
                            self.module(&child, &child_dir, &cfg, child_public, items)
                        }
                        None => {
                            let file = [dir.join(format!("{name}.rs")), child_dir.join("mod.rs")]
                                .into_iter()
                                .find(|f| f.exists())
                                .unwrap_or_else(|| panic!("no file for module {child}"));
                            let parsed = parse(&file);
                            self.module(&child, &child_dir, &cfg, child_public, &parsed.items);
                        }
                    }
                }
                Item::Use(u) if is_pub(&u.vis) && !is_test(&u.attrs) && public => {
                    let c = format!("{cfg}{}", cfgs(&u.attrs));
                    let mut names = Vec::new();
                    use_names(&u.tree, &mut names);
                    for (exported, original) in names {
                        if exported == "*" {
                            self.out
                                .push(format!("{c}reexport {path}::* ({})", tokens(&u.tree)));
                        } else {
                            self.out.push(format!("{c}reexport {path}::{exported}"));
                            self.reexports.push((path.to_string(), exported, original));
                        }
                    }
                }
                Item::Fn(f) if is_pub(&f.vis) && !is_test(&f.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&f.attrs));
                    let text = format!("fn {HERE}{}", sig_rest(&f.sig));
                    self.entry(path, f.sig.ident.to_string(), false, &c, text);
                }
                Item::Const(k) if is_pub(&k.vis) && !is_test(&k.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&k.attrs));
                    let text = format!("const {HERE}: {}", tokens(&k.ty));
                    self.entry(path, k.ident.to_string(), false, &c, text);
                }
                Item::Static(s) if is_pub(&s.vis) && !is_test(&s.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&s.attrs));
                    let text = format!("static {HERE}: {}", tokens(&s.ty));
                    self.entry(path, s.ident.to_string(), false, &c, text);
                }
                Item::Type(t) if is_pub(&t.vis) && !is_test(&t.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&t.attrs));
                    self.types.push((path.to_string(), t.ident.to_string()));
                    let text = format!("type {HERE}{} = {}", tokens(&t.generics), tokens(&t.ty));
                    self.entry(path, t.ident.to_string(), false, &c, text);
                }
                Item::Struct(s) if is_pub(&s.vis) && !is_test(&s.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&s.attrs));
                    self.types.push((path.to_string(), s.ident.to_string()));
                    let hidden = match &s.fields {
                        Fields::Named(n) => n.named.iter().any(|f| !is_pub(&f.vis)),
                        Fields::Unnamed(u) => u.unnamed.iter().any(|f| !is_pub(&f.vis)),
                        Fields::Unit => false,
                    };
                    let text = format!(
                        "struct {HERE}{}{}{}{}",
                        tokens(&s.generics),
                        fields(&s.fields, true),
                        if hidden { " (+ private fields)" } else { "" },
                        derives(&s.attrs)
                    );
                    self.entry(path, s.ident.to_string(), false, &c, text);
                }
                Item::Enum(e) if is_pub(&e.vis) && !is_test(&e.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&e.attrs));
                    self.types.push((path.to_string(), e.ident.to_string()));
                    let non_exhaustive =
                        e.attrs.iter().any(|a| a.path().is_ident("non_exhaustive"));
                    let text = format!(
                        "enum {HERE}{}{}{}",
                        tokens(&e.generics),
                        if non_exhaustive {
                            " #[non_exhaustive]"
                        } else {
                            ""
                        },
                        derives(&e.attrs)
                    );
                    self.entry(path, e.ident.to_string(), false, &c, text);
                    for v in &e.variants {
                        let text =
                            format!("variant {HERE}::{}{}", v.ident, fields(&v.fields, false));
                        self.entry(path, e.ident.to_string(), false, &c, text);
                    }
                }
                Item::Trait(t) if is_pub(&t.vis) && !is_test(&t.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&t.attrs));
                    self.types.push((path.to_string(), t.ident.to_string()));
                    let text = format!("trait {HERE}{}", tokens(&t.generics));
                    self.entry(path, t.ident.to_string(), false, &c, text);
                    for ti in &t.items {
                        if let TraitItem::Fn(f) = ti {
                            let text = format!("fn {HERE}::{}{}", f.sig.ident, sig_rest(&f.sig));
                            self.entry(path, t.ident.to_string(), false, &c, text);
                        }
                    }
                }
                Item::Impl(i) if !is_test(&i.attrs) => {
                    let c = format!("{cfg}{}", cfgs(&i.attrs));
                    let ty = self_name(&i.self_ty);
                    match &i.trait_ {
                        Some((bang, tr, _)) => {
                            let text = format!(
                                "impl{} {}{} for {HERE}",
                                tokens(&i.generics),
                                if bang.is_some() { "!" } else { "" },
                                tokens(tr)
                            );
                            self.entry(path, ty, true, &c, text);
                        }
                        None => {
                            for ii in &i.items {
                                match ii {
                                    ImplItem::Fn(f) if is_pub(&f.vis) && !is_test(&f.attrs) => {
                                        let c = format!("{c}{}", cfgs(&f.attrs));
                                        let text = format!(
                                            "fn {HERE}::{}{}",
                                            f.sig.ident,
                                            sig_rest(&f.sig)
                                        );
                                        self.entry(path, ty.clone(), true, &c, text);
                                    }
                                    ImplItem::Const(k) if is_pub(&k.vis) => {
                                        let text =
                                            format!("const {HERE}::{}: {}", k.ident, tokens(&k.ty));
                                        self.entry(path, ty.clone(), true, &c, text);
                                    }
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
                    self.out.push(format!("{cfg}macro {name}!"));
                }
                _ => {}
            }
        }
    }

    /// The public path of item `name` defined in `module`, if it has one: its own path in a
    /// public module, else its nearest re-export (the deepest re-exporting ancestor of
    /// `module`, else the deepest re-export anywhere).
    fn public_path(&self, module: &str, name: &str) -> Option<String> {
        if self.public_modules.contains(module) {
            return Some(format!("{module}::{name}"));
        }
        let depth = |m: &str| m.matches("::").count();
        let within = |ancestor: &str| module.starts_with(&format!("{ancestor}::"));
        self.reexports
            .iter()
            .filter(|(_, _, original)| original == name)
            .max_by_key(|(m, exported, _)| {
                (within(m), depth(m), std::cmp::Reverse(exported.clone()))
            })
            .map(|(m, exported, _)| format!("{m}::{exported}"))
    }

    /// The public path of the type `name` that an impl block in `module` is for: the type of
    /// that name defined in `module` or its nearest ancestor, else the only one of that name.
    fn type_path(&self, module: &str, name: &str) -> Option<String> {
        let defs: Vec<&String> = self
            .types
            .iter()
            .filter(|(_, n)| n == name)
            .map(|(m, _)| m)
            .collect();
        let def = defs
            .iter()
            .filter(|m| module == m.as_str() || module.starts_with(&format!("{m}::")))
            .max_by_key(|m| m.len())
            .copied()
            .or(if defs.len() == 1 { Some(defs[0]) } else { None })?;
        self.public_path(def, name)
    }

    /// The sorted lines.
    fn finish(mut self) -> Vec<String> {
        for e in &self.entries {
            let path = if e.is_impl {
                self.type_path(&e.module, &e.name)
            } else {
                self.public_path(&e.module, &e.name)
            };
            if let Some(path) = path {
                self.out
                    .push(format!("{}{}", e.cfg, e.text.replacen(HERE, &path, 1)));
            }
        }
        self.out.sort();
        self.out.dedup();
        self.out
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
    w.module("pinlock_core", &src, "", true, &lib.items);
    let mut text = String::from(
        "# The public API of pinlock-core, read from its source by tests/public_api.rs.\n\
         # Generated: after a deliberate change run\n\
         #   PINLOCK_BLESS=1 cargo test -p pinlock-core --test public_api\n\
         # and commit this file with the change.\n",
    );
    for l in w.finish() {
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

fn surface_of(source: &str) -> String {
    let parsed: syn::File = syn::parse_str(source).unwrap();
    let mut w = Walker::default();
    w.module("c", Path::new("/nonexistent"), "", true, &parsed.items);
    w.finish().join("\n")
}

/// The walker sees what it should: a change to a public item shows up in the surface (so the
/// test above would fail), private or test-only items do not, and moving code between private
/// modules changes nothing.
#[test]
fn an_unrecorded_change_is_caught() {
    let text = surface_of(
        "pub mod a { pub fn f(x: u8) -> u8 { x } fn hidden() {} \
         #[cfg(test)] pub fn t() {} pub struct S { pub x: u8, y: u8 } }\n\
         pub(crate) mod internal { pub fn g() {} }\n\
         mod inner { pub struct R { pub f: u8 } pub struct Q; impl R { pub fn m(&self) {} } }\n\
         pub use inner::R;\n\
         #[cfg(feature = \"online\")] pub mod net { pub enum E { A, B(String) } }",
    );
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
    // A private module's item is recorded at its re-export, with its methods.
    assert!(text.contains("struct c::R { f: u8 }"), "{text}");
    assert!(text.contains("fn c::R::m (& self)"), "{text}");
    assert!(!text.contains("Q"), "{text}");

    // One changed signature gives a different surface.
    let changed = surface_of("pub mod a { pub fn f(x: u16) -> u8 { 0 } }");
    assert!(!changed.contains("fn c::a::f (x : u8) -> u8"), "{changed}");

    // The same type and method split across private modules: the same surface.
    let moved = |src: &str| surface_of(src).replace("\n", " ");
    assert_eq!(
        moved("mod inner { pub struct R; impl R { pub fn m(&self) {} } } pub use inner::R;"),
        moved(
            "mod inner { pub struct R; } mod other { use super::inner::R; \
             impl R { pub fn m(&self) {} } } pub use inner::R;"
        )
    );
}
