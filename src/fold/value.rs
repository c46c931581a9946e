//! Folded values and their provenance.

use std::fmt::Write;
use std::rc::Rc;

/// A statically known value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string, as bytes (PHP strings are bytes; decoded payloads may not be UTF-8).
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    /// An array whose unknown elements are `None`. Shared, copied on write (`Rc::make_mut`):
    /// the evaluators pass values around by clone, and copying a large array at every read
    /// made loops over it quadratic.
    Arr(Rc<Vec<Option<Folded>>>),
    /// A PHP array with keys (`['a' => 'x', 5 => 'y']`), in insertion order; integer keys are
    /// kept as their decimal text, as PHP normalises them.
    Map(Vec<(Vec<u8>, Option<Folded>)>),
}

/// A value plus the decoders that produced it, outermost last, without repeats.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    pub value: Value,
    pub decoders: Vec<&'static str>,
}

impl Folded {
    pub fn plain(value: Value) -> Self {
        Folded {
            value,
            decoders: Vec::new(),
        }
    }

    pub fn str(bytes: impl Into<Vec<u8>>) -> Self {
        Folded::plain(Value::Str(bytes.into()))
    }

    pub fn num(n: f64) -> Self {
        Folded::plain(Value::Num(n))
    }

    /// Adds `decoder` to the provenance (keeping order, dropping repeats).
    pub fn via(mut self, decoder: &'static str) -> Self {
        if !self.decoders.contains(&decoder) {
            self.decoders.push(decoder);
        }
        self
    }

    /// Merges the provenance of `other` into this value.
    pub fn with_provenance_of(mut self, other: &Folded) -> Self {
        for d in &other.decoders {
            if !self.decoders.contains(d) {
                self.decoders.push(d);
            }
        }
        self
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match &self.value {
            Value::Num(n) => Some(*n),
            Value::Str(s) => std::str::from_utf8(s).ok()?.trim().parse().ok(),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }

    /// The value as a string the way JavaScript's `String(x)` / PHP's `(string)` would show it.
    pub fn to_text(&self) -> Option<Vec<u8>> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Num(n) => Some(number_to_string(*n).into_bytes()),
            Value::Bool(b) => Some(if *b {
                b"true".to_vec()
            } else {
                b"false".to_vec()
            }),
            Value::Arr(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend(item.as_ref()?.to_text()?);
                }
                Some(out)
            }
            Value::Map(_) => None,
        }
    }

    pub fn text_lossy(&self) -> Option<String> {
        self.to_text()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

pub fn number_to_string(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
        let mut s = String::new();
        let _ = write!(s, "{}", n as i64);
        s
    } else if n.is_nan() {
        "NaN".into()
    } else {
        n.to_string()
    }
}

/// Integer `n` in `radix` (2..=36), as JavaScript's `Number.prototype.toString(radix)`.
pub fn integer_to_radix(n: f64, radix: u32) -> Option<String> {
    if !(2..=36).contains(&radix) || n.fract() != 0.0 || !n.is_finite() || n.abs() > 9.0e15 {
        return None;
    }
    let negative = n < 0.0;
    let mut v = n.abs() as u64;
    if v == 0 {
        return Some("0".into());
    }
    let mut digits = Vec::new();
    while v > 0 {
        digits.push(std::char::from_digit((v % radix as u64) as u32, radix)?);
        v /= radix as u64;
    }
    if negative {
        digits.push('-');
    }
    Some(digits.iter().rev().collect())
}
