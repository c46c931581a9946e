//! Recognises and unpacks the `eval(function(p,a,c,k,e,d){…})` packer.

use crate::syntax::NodeExt;
use tree_sitter::Node;

use super::{Env, JsFolder, MAX_IDIOM_FUNCTION_BYTES};
use crate::fold::value::{Folded, Value};

impl<'a> JsFolder<'a> {
    /// The packer's arguments when `call` is `(function(p,a,c,k,e,d){...})('...', a, c, '...'.split('|'), ...)`.
    pub(super) fn packer_args(&self, call: Node<'a>) -> Option<Node<'a>> {
        let callee = call.field("function")?;
        let func = if callee.kind_name() == "parenthesized_expression" {
            callee.named_child(0)?
        } else {
            callee
        };
        if func.kind_name() != "function_expression" {
            return None;
        }
        let params = func.field("parameters")?;
        if params.named_child_count() < 4 || func.byte_range().len() > MAX_IDIOM_FUNCTION_BYTES {
            return None;
        }
        // `replace` itself may be hidden (`p[_0xab[4]](new RegExp(…))`); `RegExp` and the
        // `while (c--)` countdown are the packer's skeleton.
        let body = self.text(func.field("body")?);
        (body.contains("RegExp") && (body.contains("replace") || body.contains("while")))
            .then_some(call.field("arguments")?)
    }

    /// Static unpacking of Dean Edwards' packer.
    pub(super) fn unpack(&self, call: Node<'a>, env: &mut Env, d: usize) -> Option<Folded> {
        let args = self.packer_args(call)?;
        let a: Vec<Node<'a>> = args.named_children(&mut args.walk()).collect();
        let payload = self.fold(*a.first()?, env, d)?.to_text()?;
        let radix = self.fold(*a.get(1)?, env, d)?.as_num()? as u32;
        let words = self.fold(*a.get(3)?, env, d)?;
        let Value::Arr(words) = words.value else {
            return None;
        };
        let words: Vec<Vec<u8>> = words
            .iter()
            .map(|w| w.as_ref().and_then(|w| w.to_text()).unwrap_or_default())
            .collect();
        let mut out = Vec::with_capacity(payload.len() * 2);
        let mut i = 0;
        while i < payload.len() {
            let c = payload[i];
            if c.is_ascii_alphanumeric() || c == b'_' {
                let start = i;
                while i < payload.len()
                    && (payload[i].is_ascii_alphanumeric() || payload[i] == b'_')
                {
                    i += 1;
                }
                let word = &payload[start..i];
                match packer_index(word, radix)
                    .and_then(|k| words.get(k))
                    .filter(|w| !w.is_empty())
                {
                    Some(w) => out.extend_from_slice(w),
                    None => out.extend_from_slice(word),
                }
            } else {
                out.push(c);
                i += 1;
            }
        }
        self.budget
            .take_decoded(out.len())
            .then(|| Folded::str(out).via("packer"))
    }
}

pub(super) fn packer_index(word: &[u8], radix: u32) -> Option<usize> {
    // The packer encodes indexes in base `a` with digits 0-9a-zA-Z (base 62 uses upper case).
    let mut v: usize = 0;
    for &c in word {
        let digit = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 10,
            b'A'..=b'Z' => (c - b'A') as u32 + 36,
            _ => return None,
        };
        if digit >= radix.max(2) {
            return None;
        }
        v = v.checked_mul(radix as usize)?.checked_add(digit as usize)?;
    }
    Some(v)
}
