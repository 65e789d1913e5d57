//! Translation of DWARF location expressions from wasm to the native frame.
//!
//! Wasm locations become host memory locations: local N (`DW_OP_WASM_location 0 N`) is its
//! stack slot (`DW_OP_bregFP off`), global N is found through the vmctx, a linear-memory address
//! (`DW_OP_addr X`, `DW_OP_fbreg K` from a frame base held in a local or global) is the memory
//! base plus the address. The vmctx comes from the frame's slot inside a function, else from
//! the module's cell (the last instance's). Operand-stack locations, register and branch
//! operations are not translated.

use gimli::{Encoding, Operation, constants};

use crate::wasm_dwarf::Reader;
use crate::{Slots, VmctxLayout};

/// What the translation of one expression needs to know.
pub(crate) struct ExprContext<'a> {
    pub fp: u16,
    /// The slots of the function the expression is evaluated in.
    pub slots: Option<&'a Slots>,
    pub layout: &'a VmctxLayout,
    /// The guest frame base as a value (code pushing it), from the function's
    /// `DW_AT_frame_base`.
    pub frame_base: Option<&'a [u8]>,
}

/// A translated expression.
pub(crate) struct Translated {
    pub bytes: Vec<u8>,
    /// Whether it computes a memory location (not a value or pieces).
    pub is_memory: bool,
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

impl ExprContext<'_> {
    fn breg_fp(&self, out: &mut Vec<u8>, offset: i32) {
        if self.fp < 32 {
            out.push(constants::DW_OP_breg0.0 + self.fp as u8);
        } else {
            out.push(constants::DW_OP_bregx.0);
            uleb(out, self.fp.into());
        }
        sleb(out, offset.into());
    }

    /// Pushes the vmctx pointer.
    fn vmctx(&self, out: &mut Vec<u8>) {
        match self.slots {
            Some(slots) => self.breg_fp(out, slots.vmctx),
            None => {
                // A constant, not `DW_OP_addr`: LLDB resolves an address operand in the
                // image's own sections, and the cell lies in the heap.
                out.push(constants::DW_OP_const8u.0);
                out.extend_from_slice(&self.layout.vmctx_cell.to_le_bytes());
            }
        }
        out.push(constants::DW_OP_deref.0);
    }

    /// Pushes memory 0's base address.
    pub fn memory_base(&self, out: &mut Vec<u8>) -> Result<(), String> {
        let (def, base) = self.layout.memory0.ok_or("the module has no memory")?;
        self.vmctx(out);
        out.push(constants::DW_OP_plus_uconst.0);
        uleb(out, def.into());
        out.push(constants::DW_OP_deref.0);
        if base != 0 {
            out.push(constants::DW_OP_plus_uconst.0);
            uleb(out, base.into());
        }
        out.push(constants::DW_OP_deref.0);
        Ok(())
    }

    /// Pushes the address of local `index`'s slot.
    fn local(&self, out: &mut Vec<u8>, index: u32) -> Result<(), String> {
        let off = self
            .slots
            .and_then(|s| s.locals.get(index as usize).copied().flatten())
            .ok_or_else(|| format!("wasm local {index} has no slot"))?;
        self.breg_fp(out, off);
        Ok(())
    }

    /// Pushes the address of global `index`'s value.
    fn global(&self, out: &mut Vec<u8>, index: u32) -> Result<(), String> {
        let off = *self
            .layout
            .globals
            .get(index as usize)
            .ok_or_else(|| format!("no wasm global {index}"))?;
        self.vmctx(out);
        out.push(constants::DW_OP_plus_uconst.0);
        uleb(out, off.into());
        out.push(constants::DW_OP_deref.0);
        Ok(())
    }

    /// Translates `expr`.
    pub fn translate(&self, expr: &[u8], encoding: Encoding) -> Result<Translated, String> {
        let mut out = Vec::new();
        let mut is_memory = true;
        let mut rest = Reader::new(expr, gimli::LittleEndian);
        while !rest.is_empty() {
            let before = expr.len() - rest.len();
            let op = Operation::parse(&mut rest, encoding).map_err(|e| e.to_string())?;
            let raw = &expr[before..expr.len() - rest.len()];
            let last = rest.is_empty();
            match op {
                Operation::WasmLocal { index } | Operation::WasmGlobal { index } => {
                    if matches!(op, Operation::WasmLocal { .. }) {
                        self.local(&mut out, index)?;
                    } else {
                        self.global(&mut out, index)?;
                    }
                    if !last {
                        // Used as a value: wasm32 values of interest are 32-bit.
                        out.push(constants::DW_OP_deref_size.0);
                        out.push(4);
                    }
                }
                Operation::WasmStack { .. } => {
                    return Err("a location on the wasm operand stack".into());
                }
                Operation::Address { address } => {
                    self.memory_base(&mut out)?;
                    out.push(constants::DW_OP_plus_uconst.0);
                    uleb(&mut out, address);
                }
                Operation::FrameOffset { offset } => {
                    let base = self.frame_base.ok_or("DW_OP_fbreg without a frame base")?;
                    out.extend_from_slice(base);
                    out.push(constants::DW_OP_consts.0);
                    sleb(&mut out, offset);
                    out.push(constants::DW_OP_plus.0);
                    self.memory_base(&mut out)?;
                    out.push(constants::DW_OP_plus.0);
                }
                Operation::Bra { .. }
                | Operation::Skip { .. }
                | Operation::Call { .. }
                | Operation::Register { .. }
                | Operation::RegisterOffset { .. }
                | Operation::CallFrameCFA
                | Operation::EntryValue { .. }
                | Operation::ImplicitPointer { .. }
                | Operation::AddressIndex { .. }
                | Operation::ConstantIndex { .. }
                | Operation::TLS
                | Operation::ParameterRef { .. }
                | Operation::TypedLiteral { .. }
                | Operation::Convert { .. }
                | Operation::Reinterpret { .. }
                | Operation::PushObjectAddress => {
                    return Err(format!("untranslated operation {op:?}"));
                }
                Operation::StackValue
                | Operation::Piece { .. }
                | Operation::ImplicitValue { .. } => {
                    is_memory = false;
                    out.extend_from_slice(raw);
                }
                _ => out.extend_from_slice(raw),
            }
        }
        if out.is_empty() {
            return Err("an empty location".into());
        }
        Ok(Translated {
            bytes: out,
            is_memory,
        })
    }

    /// Code pushing the value of a function's `DW_AT_frame_base` (a wasm local or global
    /// holding the shadow-stack pointer).
    pub fn frame_base_value(&self, expr: &[u8], encoding: Encoding) -> Result<Vec<u8>, String> {
        let mut rest = Reader::new(expr, gimli::LittleEndian);
        let op = Operation::parse(&mut rest, encoding).map_err(|e| e.to_string())?;
        // clang: `DW_OP_WASM_location 0 N, DW_OP_stack_value` (the value of local N).
        let then = match rest.is_empty() {
            true => None,
            false => Some(Operation::parse(&mut rest, encoding).map_err(|e| e.to_string())?),
        };
        if !rest.is_empty() || !matches!(then, None | Some(Operation::StackValue)) {
            return Err("a frame base that is not a wasm local or global".into());
        }
        let mut out = Vec::new();
        match op {
            Operation::WasmLocal { index } => self.local(&mut out, index)?,
            Operation::WasmGlobal { index } => self.global(&mut out, index)?,
            _ => return Err("a frame base that is not a wasm local or global".into()),
        }
        out.push(constants::DW_OP_deref_size.0);
        out.push(4);
        Ok(out)
    }

    /// `location` (the address of a 32-bit guest pointer) turned into the pointer's value as a
    /// host address: what a debugger dereferences for `*p`.
    pub fn pointer_value(&self, location: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = location.to_vec();
        out.push(constants::DW_OP_deref_size.0);
        out.push(4);
        self.memory_base(&mut out)?;
        out.push(constants::DW_OP_plus.0);
        out.push(constants::DW_OP_stack_value.0);
        Ok(out)
    }
}
