//! inventory::literal: how Ansible's INI inventory reads a value — Python's `ast.literal_eval`,
//! falling back to the text itself (ansible-core 2.19 `plugins/inventory/ini.py` `_parse_value()`).
//!
//! So `5` is an int, `0o644` is 420, `1e3` is 1000.0, `True` a bool, `None` null, `[1, 'a']` a
//! list, `'x'` the string `x`, `1, 2` the list `[1, 2]` (a tuple), while `yes`, `0644` and
//! `hello world` stay strings. Tuples and sets become lists, complex numbers and `...` become
//! their text, bytes are decoded as UTF-8 (and, not being marked as templates, are unsafe) —
//! what Ansible's coercion after `literal_eval` does.
//!
//! Differences from Python, all in values no inventory holds: `\N{NAME}` escapes and integers
//! beyond 128 bits leave the value as text; a set keeps the order it is written in (Python's
//! order follows the elements' hashes); an octal escape above `\377` in bytes keeps its low
//! byte. Ends at [`Lit`]: making YAML nodes with spans of them is the INI parser's job.

use std::ops::Range;

/// A Python literal, with the byte range of each part in the parsed text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lit {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    /// A complex number (or `...`), kept as the text Python's `str()` gives it.
    Text(String),
    Str(String),
    /// Bytes (`b'x'`), decoded: Ansible does not mark them as templates, so they are unsafe.
    Unsafe(String),
    Seq(Vec<Item>),
    Dict(Vec<(Item, Item)>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Item {
    pub lit: Lit,
    pub at: Range<usize>,
}

/// What `_parse_value` makes of a text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Parsed {
    Value(Item),
    /// Not a literal: the value is the text itself.
    Text,
    /// A list or dict used as a dict key or set element: Python raises `TypeError`, which
    /// Ansible does not catch, so the whole inventory file fails.
    Unhashable,
}

/// Python's limit on nested brackets ("too many nested parentheses").
const MAX_NESTING: usize = 200;

pub(crate) fn literal_eval(text: &str) -> Parsed {
    let mut p = Parser {
        s: text,
        pos: 0,
        depth: 0,
    };
    match p.top() {
        Ok(item) if has_unhashable_key(&item.node) => Parsed::Unhashable,
        Ok(item) => Parsed::Value(item.into_item()),
        Err(()) => Parsed::Text,
    }
}

/// An intermediate node: a value in Python's terms before coercion, with its AST node kind
/// (literal_eval treats `-1` and `(1)` differently from `1` in places).
#[derive(Clone, Debug)]
struct Node {
    node: Py,
    at: Range<usize>,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// An `ast.Constant`.
    Constant,
    /// `+`/`-` applied to a numeric constant.
    Signed,
    Other,
}

#[derive(Clone, Debug)]
enum Py {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(f64, f64),
    Str(String),
    Bytes(Vec<u8>),
    Ellipsis,
    List(Vec<Node>),
    Tuple(Vec<Node>),
    Set(Vec<Node>),
    Dict(Vec<(Node, Node)>),
}

impl Py {
    fn is_number(&self) -> bool {
        matches!(self, Py::Int(_) | Py::Float(_) | Py::Complex(..))
    }

    /// As a complex number, for equality between numbers (`1 == 1.0 == True`).
    fn as_complex(&self) -> Option<(f64, f64)> {
        match *self {
            Py::Bool(b) => Some((f64::from(u8::from(b)), 0.0)),
            Py::Int(i) => Some((i as f64, 0.0)),
            Py::Float(f) => Some((f, 0.0)),
            Py::Complex(re, im) => Some((re, im)),
            _ => None,
        }
    }
}

/// Python's `==` between hashable values, for dict keys and set elements.
fn py_eq(a: &Py, b: &Py) -> bool {
    match (a, b) {
        (Py::Int(x), Py::Int(y)) => x == y,
        (Py::Bool(x), Py::Int(y)) | (Py::Int(y), Py::Bool(x)) => i128::from(*x) == *y,
        (Py::Str(x), Py::Str(y)) => x == y,
        (Py::Bytes(x), Py::Bytes(y)) => x == y,
        (Py::None, Py::None) | (Py::Ellipsis, Py::Ellipsis) => true,
        (Py::Tuple(x), Py::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_eq(&a.node, &b.node))
        }
        _ => match (a.as_complex(), b.as_complex()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn is_hashable(py: &Py) -> bool {
    match py {
        Py::List(_) | Py::Set(_) | Py::Dict(_) => false,
        Py::Tuple(items) => items.iter().all(|i| is_hashable(&i.node)),
        _ => true,
    }
}

fn has_unhashable_key(py: &Py) -> bool {
    match py {
        Py::List(items) | Py::Tuple(items) => items.iter().any(|i| has_unhashable_key(&i.node)),
        Py::Set(items) => items
            .iter()
            .any(|i| !is_hashable(&i.node) || has_unhashable_key(&i.node)),
        Py::Dict(pairs) => pairs.iter().any(|(k, v)| {
            !is_hashable(&k.node) || has_unhashable_key(&k.node) || has_unhashable_key(&v.node)
        }),
        _ => false,
    }
}

impl Node {
    /// Ansible's `_parse_recursive_coerce_types_and_tag`: tuples and sets to lists, complex and
    /// `...` to text, bytes to text; a dict keeps the first position and the last value of an
    /// equal key, a set its first element.
    fn into_item(self) -> Item {
        let lit = match self.node {
            Py::None => Lit::None,
            Py::Bool(b) => Lit::Bool(b),
            Py::Int(i) => Lit::Int(i),
            Py::Float(f) => Lit::Float(f),
            Py::Complex(re, im) => Lit::Text(complex_str(re, im)),
            Py::Str(s) => Lit::Str(s),
            Py::Bytes(b) => Lit::Unsafe(String::from_utf8_lossy(&b).into_owned()),
            Py::Ellipsis => Lit::Text("...".into()),
            Py::List(items) | Py::Tuple(items) => {
                Lit::Seq(items.into_iter().map(Node::into_item).collect())
            }
            Py::Set(items) => {
                let mut kept: Vec<Node> = Vec::new();
                for item in items {
                    if !kept.iter().any(|k| py_eq(&k.node, &item.node)) {
                        kept.push(item);
                    }
                }
                Lit::Seq(kept.into_iter().map(Node::into_item).collect())
            }
            Py::Dict(pairs) => {
                let mut kept: Vec<(Node, Node)> = Vec::new();
                for (k, v) in pairs {
                    match kept.iter_mut().find(|(old, _)| py_eq(&old.node, &k.node)) {
                        Some(slot) => slot.1 = v,
                        None => kept.push((k, v)),
                    }
                }
                Lit::Dict(
                    kept.into_iter()
                        .map(|(k, v)| (k.into_item(), v.into_item()))
                        .collect(),
                )
            }
        };
        Item { lit, at: self.at }
    }
}

type R<T> = Result<T, ()>;

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.s[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> R<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(())
        }
    }

    /// Spaces, tabs and form feeds between tokens; `#` comments to the end.
    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\x0c' => self.pos += 1,
                '#' => self.pos = self.s.len(),
                _ => break,
            }
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos == self.s.len()
    }

    /// `expr (',' expr)* [',']` up to the end: a bare tuple when there is a comma.
    fn top(&mut self) -> R<Node> {
        self.skip_ws();
        let start = self.pos;
        let first = self.expr()?;
        if !self.eat(',') {
            return if self.at_end() { Ok(first) } else { Err(()) };
        }
        let mut items = vec![first];
        while !self.at_end() {
            items.push(self.expr()?);
            if !self.eat(',') {
                break;
            }
        }
        if !self.at_end() {
            return Err(());
        }
        let end = self.pos;
        Ok(other(Py::Tuple(items), start..end))
    }

    /// A comma-separated run up to `close`, trailing comma allowed.
    fn items(&mut self, close: char) -> R<Vec<Node>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(items);
            }
            items.push(self.expr()?);
            if !self.eat(',') {
                self.expect(close)?;
                return Ok(items);
            }
        }
    }

    /// `unary [('+'|'-') unary]`: literal_eval accepts one `+`/`-` only between a real number
    /// and an imaginary constant (`1+2j`).
    fn expr(&mut self) -> R<Node> {
        let left = self.unary()?;
        self.skip_ws();
        let negative = match self.peek() {
            Some('+') => false,
            Some('-') => true,
            _ => return Ok(left),
        };
        self.pos += 1;
        let right = self.unary()?;
        let real = match left.node {
            Py::Int(i) if left.kind != Kind::Other => i as f64,
            Py::Float(f) if left.kind != Kind::Other => f,
            _ => return Err(()),
        };
        let (Py::Complex(_, im), Kind::Constant) = (&right.node, right.kind) else {
            return Err(());
        };
        let im = if negative { -im } else { *im };
        self.skip_ws();
        if matches!(self.peek(), Some('+' | '-')) {
            return Err(());
        }
        let at = left.at.start..right.at.end;
        Ok(other(Py::Complex(real, im), at))
    }

    /// `('+'|'-') operand`, where literal_eval wants a numeric constant operand.
    fn unary(&mut self) -> R<Node> {
        self.skip_ws();
        let start = self.pos;
        let negative = match self.peek() {
            Some('+') => false,
            Some('-') => true,
            _ => return self.atom(),
        };
        self.pos += 1;
        let operand = self.unary()?;
        if operand.kind != Kind::Constant || !operand.node.is_number() {
            return Err(());
        }
        let node = match operand.node {
            Py::Int(i) if negative => Py::Int(i.checked_neg().ok_or(())?),
            Py::Float(f) if negative => Py::Float(-f),
            Py::Complex(re, im) if negative => Py::Complex(-re, -im),
            node => node,
        };
        Ok(Node {
            node,
            at: start..operand.at.end,
            kind: Kind::Signed,
        })
    }

    fn nest(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            Err(())
        } else {
            Ok(())
        }
    }

    fn atom(&mut self) -> R<Node> {
        self.skip_ws();
        let start = self.pos;
        let c = self.peek().ok_or(())?;
        let node = match c {
            '(' => {
                self.pos += 1;
                self.nest()?;
                let node = self.parenthesized(start)?;
                self.depth -= 1;
                return Ok(node);
            }
            '[' => {
                self.pos += 1;
                self.nest()?;
                let items = self.items(']')?;
                self.depth -= 1;
                return Ok(other(Py::List(items), start..self.pos));
            }
            '{' => {
                self.pos += 1;
                self.nest()?;
                let node = self.braces()?;
                self.depth -= 1;
                return Ok(other(node, start..self.pos));
            }
            '.' if self.s[self.pos..].starts_with("...") => {
                self.pos += 3;
                Py::Ellipsis
            }
            '.' | '0'..='9' => self.number()?,
            '\'' | '"' => self.strings("")?,
            c if c == '_' || c.is_alphabetic() => self.name()?,
            _ => return Err(()),
        };
        Ok(Node {
            node,
            at: start..self.pos,
            kind: Kind::Constant,
        })
    }

    /// After `(`: `()`, `(x)` (just x), or a tuple.
    fn parenthesized(&mut self, start: usize) -> R<Node> {
        if self.eat(')') {
            return Ok(other(Py::Tuple(Vec::new()), start..self.pos));
        }
        let first = self.expr()?;
        if !self.eat(',') {
            self.expect(')')?;
            return Ok(first);
        }
        let mut items = vec![first];
        items.extend(self.items(')')?);
        Ok(other(Py::Tuple(items), start..self.pos))
    }

    /// After `{`: a dict or a set.
    fn braces(&mut self) -> R<Py> {
        if self.eat('}') {
            return Ok(Py::Dict(Vec::new()));
        }
        let first = self.expr()?;
        if !self.eat(':') {
            let mut items = vec![first];
            if self.eat(',') {
                items.extend(self.items('}')?);
            } else {
                self.expect('}')?;
            }
            return Ok(Py::Set(items));
        }
        let mut pairs = vec![(first, self.expr()?)];
        loop {
            if !self.eat(',') {
                self.expect('}')?;
                return Ok(Py::Dict(pairs));
            }
            if self.eat('}') {
                return Ok(Py::Dict(pairs));
            }
            let key = self.expr()?;
            self.expect(':')?;
            pairs.push((key, self.expr()?));
        }
    }

    fn name(&mut self) -> R<Py> {
        let start = self.pos;
        while self.peek().is_some_and(super::address::is_word_char) {
            self.bump();
        }
        let name = &self.s[start..self.pos];
        if matches!(self.peek(), Some('\'' | '"')) {
            return self.strings(name);
        }
        match name {
            "True" => Ok(Py::Bool(true)),
            "False" => Ok(Py::Bool(false)),
            "None" => Ok(Py::None),
            // `set()` is the one call literal_eval accepts.
            "set" => {
                self.expect('(')?;
                self.expect(')')?;
                Ok(Py::Set(Vec::new()))
            }
            _ => Err(()),
        }
    }

    /// One or more adjacent string literals (`'a' "b"` is `'ab'`), the first with `prefix`.
    fn strings(&mut self, prefix: &str) -> R<Py> {
        let (mut bytes, mut text) = self.string(prefix)?;
        loop {
            self.skip_ws();
            let save = self.pos;
            let prefix_len = self.s[self.pos..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            let prefix = &self.s[self.pos..self.pos + prefix_len];
            if !matches!(self.peek_at(prefix_len), Some('\'' | '"')) {
                self.pos = save;
                break;
            }
            self.pos += prefix_len;
            let (is_bytes, more) = self.string(prefix)?;
            if is_bytes != bytes {
                return Err(());
            }
            bytes = is_bytes;
            text.extend(more);
        }
        Ok(if bytes {
            Py::Bytes(text)
        } else {
            Py::Str(String::from_utf8(text).map_err(|_| ())?)
        })
    }

    /// One string literal; the content as UTF-8 bytes (str) or raw bytes (bytes).
    fn string(&mut self, prefix: &str) -> R<(bool, Vec<u8>)> {
        let p = prefix.to_ascii_lowercase();
        if !matches!(p.as_str(), "" | "r" | "u" | "b" | "br" | "rb") {
            // f-strings are `JoinedStr`, never a literal; other prefixes are syntax errors.
            return Err(());
        }
        let raw = p.contains('r');
        let bytes = p.contains('b');
        let quote = self.bump().ok_or(())?;
        let triple = self.peek() == Some(quote) && self.peek_at(1) == Some(quote);
        if triple {
            self.pos += 2;
        }
        let mut out = Vec::new();
        loop {
            let c = self.bump().ok_or(())?;
            if c == quote {
                if !triple {
                    break;
                }
                if self.peek() == Some(quote) && self.peek_at(1) == Some(quote) {
                    self.pos += 2;
                    break;
                }
            }
            if bytes && !c.is_ascii() {
                return Err(());
            }
            if c != '\\' {
                push_char(&mut out, c);
                continue;
            }
            let next = self.bump().ok_or(())?;
            if raw {
                out.push(b'\\');
                push_char(&mut out, next);
                continue;
            }
            self.escape(next, bytes, &mut out)?;
        }
        Ok((bytes, out))
    }

    fn escape(&mut self, c: char, bytes: bool, out: &mut Vec<u8>) -> R<()> {
        let simple = match c {
            '\\' => Some(b'\\'),
            '\'' => Some(b'\''),
            '"' => Some(b'"'),
            'a' => Some(7),
            'b' => Some(8),
            'f' => Some(12),
            'n' => Some(b'\n'),
            'r' => Some(b'\r'),
            't' => Some(b'\t'),
            'v' => Some(11),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        match c {
            '0'..='7' => {
                let mut value = c.to_digit(8).expect("octal");
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                push_code(out, value, bytes);
            }
            'x' => push_code(out, self.hex(2)?, bytes),
            'u' if !bytes => push_code(out, self.hex(4)?, false),
            'U' if !bytes => {
                let value = self.hex(8)?;
                if value > 0x10FFFF {
                    return Err(());
                }
                push_code(out, value, false);
            }
            // `\N{NAME}` needs Unicode's name table: left as text (see the module doc).
            'N' if !bytes => return Err(()),
            _ => {
                // An unknown escape keeps its backslash (Python only warns).
                out.push(b'\\');
                push_char(out, c);
            }
        }
        Ok(())
    }

    fn hex(&mut self, n: usize) -> R<u32> {
        let mut value = 0;
        for _ in 0..n {
            let d = self.peek().and_then(|c| c.to_digit(16)).ok_or(())?;
            value = value * 16 + d;
            self.pos += 1;
        }
        Ok(value)
    }

    /// A number token as Python's tokenizer reads it (3.11 rules: `_` between digits, no
    /// leading zero in a non-zero decimal integer, a letter right after the number is an error).
    fn number(&mut self) -> R<Py> {
        let start = self.pos;
        let rest = &self.s[self.pos..];
        let radix = match rest.as_bytes() {
            [b'0', b'x' | b'X', ..] => 16,
            [b'0', b'o' | b'O', ..] => 8,
            [b'0', b'b' | b'B', ..] => 2,
            _ => 10,
        };
        let py = if radix != 10 {
            self.pos += 2;
            // `0x_1f` is valid: an underscore may follow the prefix.
            let digits = self.digits(radix, true)?;
            Py::Int(i128::from_str_radix(&digits, radix).map_err(|_| ())?)
        } else {
            self.decimal(start)?
        };
        if self
            .peek()
            .is_some_and(|c| super::address::is_word_char(c) || c == '.')
        {
            return Err(());
        }
        Ok(py)
    }

    fn decimal(&mut self, start: usize) -> R<Py> {
        let int_part = if self.peek() == Some('.') {
            String::new()
        } else {
            self.digits(10, false)?
        };
        let mut float = false;
        let mut text = int_part.clone();
        if self.peek() == Some('.') {
            self.pos += 1;
            float = true;
            text.push('.');
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                text.push_str(&self.digits(10, false)?);
            } else if int_part.is_empty() {
                return Err(());
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            float = true;
            self.pos += 1;
            text.push('e');
            if let Some(sign @ ('+' | '-')) = self.peek() {
                self.pos += 1;
                text.push(sign);
            }
            text.push_str(&self.digits(10, false)?);
        }
        if matches!(self.peek(), Some('j' | 'J')) {
            self.pos += 1;
            return Ok(Py::Complex(0.0, parse_float(&text)?));
        }
        if float {
            return Ok(Py::Float(parse_float(&text)?));
        }
        let written = &self.s[start..self.pos];
        if written.starts_with('0') && text.bytes().any(|b| b != b'0') {
            return Err(()); // "leading zeros in decimal integer literals are not permitted"
        }
        Ok(Py::Int(text.parse().map_err(|_| ())?))
    }

    /// `digit (["_"] digit)*` (with `lead_underscore`, `(["_"] digit)+`), underscores removed.
    fn digits(&mut self, radix: u32, lead_underscore: bool) -> R<String> {
        let mut out = String::new();
        let mut underscore = false;
        if lead_underscore && self.peek() == Some('_') {
            self.pos += 1;
            underscore = true;
        }
        while let Some(c) = self.peek() {
            if c.is_digit(radix) {
                out.push(c);
                underscore = false;
            } else if c == '_' && !underscore && !out.is_empty() {
                underscore = true;
            } else {
                break;
            }
            self.pos += 1;
        }
        if out.is_empty() || underscore {
            return Err(());
        }
        Ok(out)
    }
}

fn other(node: Py, at: Range<usize>) -> Node {
    Node {
        node,
        at,
        kind: Kind::Other,
    }
}

fn parse_float(text: &str) -> R<f64> {
    let mut t = text.to_string();
    if t.starts_with('.') {
        t.insert(0, '0');
    }
    if let Some(at) = t.find('.') {
        if !t[at + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            t.insert(at + 1, '0');
        }
    }
    t.parse().map_err(|_| ())
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

fn push_code(out: &mut Vec<u8>, value: u32, bytes: bool) {
    if bytes {
        out.push((value & 0xFF) as u8);
    } else {
        // A lone surrogate (`\ud800`) has no UTF-8 form; it becomes U+FFFD.
        push_char(out, char::from_u32(value).unwrap_or('\u{FFFD}'));
    }
}

/// Python's `str(complex)`.
fn complex_str(re: f64, im: f64) -> String {
    let imag = float_repr(im, false);
    if re == 0.0 && re.is_sign_positive() {
        return format!("{imag}j");
    }
    let sign = if imag.starts_with('-') { "" } else { "+" };
    format!("({}{sign}{imag}j)", float_repr(re, false))
}

/// Python's `repr(float)`; without `dot_zero`, an integral value has no `.0` (as in complex).
pub(crate) fn float_repr(f: f64, dot_zero: bool) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let decpt = exp + 1;
    let body = if !(-4 < decpt && decpt <= 16) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!(
            "{first}{frac}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if (decpt as usize) >= digits.len() {
        let zeros = "0".repeat(decpt as usize - digits.len());
        if dot_zero {
            format!("{digits}{zeros}.0")
        } else {
            format!("{digits}{zeros}")
        }
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Lit {
        match literal_eval(text) {
            Parsed::Value(item) => item.lit,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn s(text: &str) -> Lit {
        Lit::Str(text.into())
    }

    #[test]
    fn numbers_follow_python() {
        assert_eq!(value("5"), Lit::Int(5));
        assert_eq!(value("-5"), Lit::Int(-5));
        assert_eq!(value("1_000"), Lit::Int(1000));
        assert_eq!(value("0o644"), Lit::Int(420));
        assert_eq!(value("0x_1F"), Lit::Int(31));
        assert_eq!(value("0b101"), Lit::Int(5));
        assert_eq!(value("00"), Lit::Int(0));
        assert_eq!(value("1e3"), Lit::Float(1000.0));
        assert_eq!(value(".5"), Lit::Float(0.5));
        assert_eq!(value("5."), Lit::Float(5.0));
        assert_eq!(value("0777.5"), Lit::Float(777.5));
        assert_eq!(value("1j"), Lit::Text("1j".into()));
        assert_eq!(value("1+2j"), Lit::Text("(1+2j)".into()));
        assert_eq!(value("-1j"), Lit::Text("(-0-1j)".into()));
        assert_eq!(value("5 # comment"), Lit::Int(5));
        for text in [
            "0644", "1__0", "1_", "0x", "1e", "1abc", "--5", "1+2", "+True", "1.2.3",
        ] {
            assert_eq!(literal_eval(text), Parsed::Text, "{text}");
        }
    }

    #[test]
    fn strings_and_names() {
        assert_eq!(value("'a b'"), s("a b"));
        assert_eq!(value(r#""a\tb""#), s("a\tb"));
        assert_eq!(value(r"r'a\tb'"), s(r"a\tb"));
        assert_eq!(value(r"'\q'"), s(r"\q"));
        assert_eq!(value(r"'\x41\101\u00e9'"), s("AAé"));
        assert_eq!(value("'a' \"b\""), s("ab"));
        assert_eq!(value("b'xy'"), Lit::Unsafe("xy".into()));
        assert_eq!(value("True"), Lit::Bool(true));
        assert_eq!(value("None"), Lit::None);
        assert_eq!(value("..."), Lit::Text("...".into()));
        for text in [
            "yes",
            "hello world",
            "f'x'",
            "'a' b'c'",
            "'open",
            "true",
            "Ellipsis",
        ] {
            assert_eq!(literal_eval(text), Parsed::Text, "{text}");
        }
    }

    #[test]
    fn containers_become_lists_and_dicts() {
        let items = |v: Lit| match v {
            Lit::Seq(items) => items.into_iter().map(|i| i.lit).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(items(value("[1, 'a',]")), [Lit::Int(1), s("a")]);
        assert_eq!(items(value("1, 2")), [Lit::Int(1), Lit::Int(2)]);
        assert_eq!(items(value("(1,)")), [Lit::Int(1)]);
        assert_eq!(items(value("()")), []);
        assert_eq!(items(value("{3, 1, 3}")), [Lit::Int(3), Lit::Int(1)]);
        assert_eq!(items(value("set()")), []);
        assert_eq!(value("(7)"), Lit::Int(7));
        let Lit::Dict(pairs) = value("{'a': 1, 'b': [2], 'a': 3}") else {
            panic!()
        };
        assert_eq!(pairs.len(), 2);
        assert_eq!((&pairs[0].0.lit, &pairs[0].1.lit), (&s("a"), &Lit::Int(3)));
        assert_eq!(literal_eval("{[1]: 2}"), Parsed::Unhashable);
        assert_eq!(literal_eval("{1, {}}"), Parsed::Unhashable);
        assert_eq!(literal_eval("[1, x]"), Parsed::Text);
        assert_eq!(literal_eval(&"[".repeat(201)), Parsed::Text);
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(literal_eval(&deep), Parsed::Value(_)));
    }

    #[test]
    fn spans_point_into_the_text() {
        let Parsed::Value(item) = literal_eval(" [1, 'ab']") else {
            panic!()
        };
        assert_eq!(item.at, 1..10);
        let Lit::Seq(items) = item.lit else { panic!() };
        assert_eq!(items[1].at, 5..9);
    }

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(float_repr(1.0, true), "1.0");
        assert_eq!(float_repr(1.0, false), "1");
        assert_eq!(float_repr(1e16, true), "1e+16");
        assert_eq!(float_repr(1e-5, true), "1e-05");
        assert_eq!(float_repr(0.0001, true), "0.0001");
        assert_eq!(float_repr(123.456, true), "123.456");
        assert_eq!(float_repr(-2.5e20, true), "-2.5e+20");
    }
}
