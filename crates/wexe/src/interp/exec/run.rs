//! The dispatch loop: one `match` over [`Instr`] whose numeric, load and store arms are generated
//! from the op list, and whose control, call, variable and bulk arms are written here.
//!
//! Frames live in the store's cell stack: a call's arguments sit in the caller's temporaries at
//! `base`, which become the callee's first cells, and results come back in the same place. Wasm
//! calls never recurse on the native stack.

use std::ptr;

use anyhow::{Result, anyhow};

use super::bulk;
use crate::Trap;
use crate::interp::CompiledFunc;
use crate::interp::ops::{Instr, Slot, for_each_op};
use crate::module::Module;
use crate::store::{FuncEntity, StoreInner, StoreOps};
use crate::trap::{FrameInfo, WasmBacktrace};
use crate::values::Val;

#[cfg(target_endian = "big")]
compile_error!("the interpreter assumes a little-endian host");

/// A value type stored in a 64-bit cell.
trait Cell: Copy {
    unsafe fn rd(p: *const u64) -> Self;
    unsafe fn wr(p: *mut u64, v: Self);
}

macro_rules! cell {
    ($($t:ty: |$p:ident| $rd:expr, |$q:ident, $v:ident| $wr:expr;)*) => {$(
        impl Cell for $t {
            #[inline(always)]
            unsafe fn rd($p: *const u64) -> $t { unsafe { $rd } }
            #[inline(always)]
            unsafe fn wr($q: *mut u64, $v: $t) { unsafe { $wr } }
        }
    )*};
}

cell! {
    i32: |p| *p as u32 as i32, |p, v| *p = v as u32 as u64;
    u32: |p| *p as u32, |p, v| *p = v as u64;
    i64: |p| *p as i64, |p, v| *p = v as u64;
    u64: |p| *p, |p, v| *p = v;
    f32: |p| f32::from_bits(*p as u32), |p, v| *p = v.to_bits() as u64;
    f64: |p| f64::from_bits(*p), |p, v| *p = v.to_bits();
}

#[inline(always)]
unsafe fn rd<T: Cell>(fp: *mut u64, s: Slot) -> T {
    unsafe { T::rd(fp.add(s as usize)) }
}

#[inline(always)]
unsafe fn wr<T: Cell>(fp: *mut u64, s: Slot, v: T) {
    unsafe { T::wr(fp.add(s as usize), v) }
}

/// A suspended caller.
struct Frame {
    ret_ip: *const Instr,
    fp: *mut u64,
    func: *const CompiledFunc,
    instance: u32,
}

/// What the loop needs of the current instance, reloaded when execution moves to another one.
struct InstCtx {
    instance: u32,
    module: Module,
    num_imported_funcs: u32,
    funcs: Vec<u32>,
    tables: Vec<u32>,
    memory: u32,
    mem_base: *mut u8,
    mem_len: usize,
    globals: Vec<*mut u64>,
}

impl InstCtx {
    fn load(inner: &mut StoreInner, instance: u32) -> InstCtx {
        let inst = &inner.instances[instance as usize];
        let globals = inst
            .globals
            .iter()
            .map(|&g| inner.globals[g as usize].value.as_mut_ptr())
            .collect();
        let mut ctx = InstCtx {
            instance,
            module: inst.module.clone(),
            num_imported_funcs: inst.module.info().num_imported_funcs as u32,
            funcs: inst.funcs.clone(),
            tables: inst.tables.clone(),
            memory: inst.memories.first().copied().unwrap_or(u32::MAX),
            mem_base: ptr::null_mut(),
            mem_len: 0,
            globals,
        };
        ctx.refresh_memory(inner);
        ctx
    }

    /// Re-reads the memory's address and size (after anything that may have grown it).
    fn refresh_memory(&mut self, inner: &mut StoreInner) {
        if let Some(m) = inner.memories.get_mut(self.memory as usize) {
            self.mem_base = m.base();
            self.mem_len = m.len();
        }
    }

    fn compiled(&self, func_index: u32) -> Result<*const CompiledFunc> {
        let def = (func_index - self.num_imported_funcs) as usize;
        match self.module.compiled(def) {
            Ok(f) => Ok(f as *const CompiledFunc),
            Err(e) => Err(anyhow!("cannot translate function {func_index}: {e}")),
        }
    }
}

/// Sets up `f`'s frame at `fp`: zeroes its locals and copies its constants. False when the
/// frame does not fit below `end`.
#[inline(always)]
unsafe fn enter(fp: *mut u64, f: &CompiledFunc, end: *mut u64) -> bool {
    unsafe {
        if (end.offset_from(fp) as usize) < f.frame_size as usize {
            return false;
        }
        ptr::write_bytes(
            fp.add(f.num_params as usize),
            0,
            (f.num_locals - f.num_params) as usize,
        );
        ptr::copy_nonoverlapping(
            f.consts.as_ptr(),
            fp.add(f.num_locals as usize),
            f.consts.len(),
        );
    }
    true
}

/// Reads the `Ext` operand instruction that follows a bulk operation.
#[inline(always)]
unsafe fn ext(ip: &mut *const Instr) -> (u32, u32) {
    unsafe {
        let e = **ip;
        *ip = ip.add(1);
        match e {
            Instr::Ext { a, b } => (a, b),
            _ => (0, 0),
        }
    }
}

macro_rules! exec_match {
    (($instr:ident, $fp:ident, $ctx:ident, $trap:ident, { $($arms:tt)* })
        unary { $($un:ident: $ui:ident -> $uo:ident = $uf:expr;)* }
        unary_trap { $($ut:ident: $uti:ident -> $uto:ident = $utf:expr;)* }
        binary { $($bn:ident: $ba:ident, $bb:ident -> $bo:ident = $bf:expr;)* }
        binary_trap { $($bt:ident: $bta:ident, $btb:ident -> $bto:ident = $btf:expr;)* }
        load { $($ld:ident: $lm:ident => $lo:ident;)* }
        store { $($st:ident: $si:ident => $sm:ident;)* }
        produce { $($pr:ident { $($pf:ident: $pt:ty),* };)* }
        special { $($sp:ident { $($sf:ident: $stt:ty),* };)* }
    ) => {
        match $instr {
            $(Instr::$un { dst, src } => {
                let f: fn($ui) -> $uo = $uf;
                wr($fp, dst, f(rd($fp, src)));
            })*
            $(Instr::$ut { dst, src } => {
                let f: fn($uti) -> Result<$uto, Trap> = $utf;
                match f(rd($fp, src)) {
                    Ok(v) => wr($fp, dst, v),
                    Err(t) => { $trap = t; break; }
                }
            })*
            $(Instr::$bn { dst, lhs, rhs } => {
                let f: fn($ba, $bb) -> $bo = $bf;
                wr($fp, dst, f(rd($fp, lhs), rd($fp, rhs)));
            })*
            $(Instr::$bt { dst, lhs, rhs } => {
                let f: fn($bta, $btb) -> Result<$bto, Trap> = $btf;
                match f(rd($fp, lhs), rd($fp, rhs)) {
                    Ok(v) => wr($fp, dst, v),
                    Err(t) => { $trap = t; break; }
                }
            })*
            $(Instr::$ld { dst, addr, offset } => {
                let ea = rd::<u32>($fp, addr) as usize + offset as usize;
                if ea + size_of::<$lm>() > $ctx.mem_len {
                    $trap = Trap::MemoryOutOfBounds;
                    break;
                }
                let v = ptr::read_unaligned($ctx.mem_base.add(ea) as *const $lm);
                wr::<$lo>($fp, dst, v as $lo);
            })*
            $(Instr::$st { addr, value, offset } => {
                let ea = rd::<u32>($fp, addr) as usize + offset as usize;
                if ea + size_of::<$sm>() > $ctx.mem_len {
                    $trap = Trap::MemoryOutOfBounds;
                    break;
                }
                let v = rd::<$si>($fp, value) as $sm;
                ptr::write_unaligned($ctx.mem_base.add(ea) as *mut $sm, v);
            })*
            $($arms)*
        }
    };
}

/// Runs wasm function `func_index` of `instance` with its arguments in cells `base..`, leaving
/// its results there.
///
/// # Safety
/// `base` must be the first free cell of the store's stack, with the arguments written.
pub(super) unsafe fn run(
    store: &mut dyn StoreOps,
    instance: u32,
    func_index: u32,
    base: usize,
) -> Result<()> {
    let mut inner: *mut StoreInner = store.inner();
    // SAFETY (whole function): `inner` is re-derived after every use of `store`; frame pointers
    // stay within `cells`, which is never reallocated while frames are live; validation
    // guarantees the indices the bytecode carries.
    unsafe {
        let cells = (&mut *inner).stack.cells.as_mut_ptr();
        let cells_end = cells.add((&mut *inner).stack.cells.len());
        let max_frames = (&mut *inner)
            .stack
            .max_depth
            .saturating_sub((&mut *inner).stack.outer_depth + 1);
        let mut ctx = InstCtx::load(&mut *inner, instance);
        let mut func: *const CompiledFunc = ctx.compiled(func_index)?;
        let mut fp = cells.add(base);
        if !enter(fp, &*func, cells_end) {
            return Err(Trap::StackOverflow.into());
        }
        let mut ip: *const Instr = (*func).code.as_ptr();
        let mut frames: Vec<Frame> = Vec::new();
        let trap;

        // Pushes the current frame and enters wasm function `$callee` of the current instance
        // with its frame at `$base`; `$caller_instance` is restored on return.
        macro_rules! enter_wasm {
            ($callee:expr, $base:expr, $caller_instance:expr) => {{
                let callee: *const CompiledFunc = $callee;
                let new_fp = fp.add($base as usize);
                if frames.len() >= max_frames || !enter(new_fp, &*callee, cells_end) {
                    if $caller_instance != ctx.instance {
                        ctx = InstCtx::load(&mut *inner, $caller_instance);
                    }
                    trap = Trap::StackOverflow;
                    break;
                }
                frames.push(Frame {
                    ret_ip: ip,
                    fp,
                    func,
                    instance: $caller_instance,
                });
                fp = new_fp;
                func = callee;
                ip = (*func).code.as_ptr();
            }};
        }

        // Calls store function `$sf` with its arguments at `$base`.
        macro_rules! call_store_func {
            ($sf:expr, $base:expr) => {{
                let base: Slot = $base;
                match &(&mut *inner).funcs[$sf as usize] {
                    FuncEntity::Wasm {
                        instance: callee_instance,
                        index,
                        ..
                    } => {
                        let (callee_instance, index) = (*callee_instance, *index);
                        let caller_instance = ctx.instance;
                        if callee_instance != caller_instance {
                            ctx = InstCtx::load(&mut *inner, callee_instance);
                        }
                        let callee = match ctx.compiled(index) {
                            Ok(c) => c,
                            Err(e) => return Err(e),
                        };
                        enter_wasm!(callee, base, caller_instance);
                    }
                    FuncEntity::Host { host, ty, .. } => {
                        let (host, ty) = (*host, ty.clone());
                        let args_at = fp.add(base as usize);
                        let args: Vec<Val> = ty
                            .params()
                            .iter()
                            .enumerate()
                            .map(|(i, t)| Val::from_cells(*t, [*args_at.add(i), 0], &*inner))
                            .collect();
                        let mut results: Vec<Val> =
                            ty.results().iter().map(|t| Val::default_for(*t)).collect();
                        let stack = &mut (&mut *inner).stack;
                        let (saved_top, saved_depth) = (stack.top, stack.outer_depth);
                        stack.top = fp.offset_from(cells) as usize + (*func).frame_size as usize;
                        stack.outer_depth += frames.len() + 1;
                        let outcome =
                            store.call_host(host, Some(ctx.instance), &args, &mut results);
                        inner = store.inner();
                        (&mut *inner).stack.top = saved_top;
                        (&mut *inner).stack.outer_depth = saved_depth;
                        ctx.refresh_memory(&mut *inner);
                        outcome?;
                        for (i, r) in results.iter().enumerate() {
                            if r.ty() != ty.results()[i] {
                                return Err(anyhow!(
                                    "host function returned {} where {} was expected",
                                    r.ty(),
                                    ty.results()[i]
                                ));
                            }
                            *args_at.add(i) = r.to_cells(&*inner)[0];
                        }
                    }
                }
            }};
        }

        macro_rules! do_return {
            () => {{
                match frames.pop() {
                    None => return Ok(()),
                    Some(f) => {
                        ip = f.ret_ip;
                        fp = f.fp;
                        func = f.func;
                        if f.instance != ctx.instance {
                            ctx = InstCtx::load(&mut *inner, f.instance);
                        }
                    }
                }
            }};
        }

        macro_rules! check {
            ($e:expr) => {
                if let Err(t) = $e {
                    trap = t;
                    break;
                }
            };
        }

        loop {
            let instr = *ip;
            ip = ip.add(1);
            for_each_op!(exec_match!(instr, fp, ctx, trap, {
                Instr::Copy { dst, src } => *fp.add(dst as usize) = *fp.add(src as usize),
                Instr::Br { offset } => ip = ip.offset(offset as isize - 1),
                Instr::BrIfNez { cond, offset } => {
                    if rd::<u32>(fp, cond) != 0 {
                        ip = ip.offset(offset as isize - 1);
                    }
                }
                Instr::BrIfEqz { cond, offset } => {
                    if rd::<u32>(fp, cond) == 0 {
                        ip = ip.offset(offset as isize - 1);
                    }
                }
                Instr::BrTable { index, len } => ip = ip.add(rd::<u32>(fp, index).min(len) as usize),
                Instr::Unreachable {} => {
                    trap = Trap::Unreachable;
                    break;
                }
                Instr::Unsupported {} => {
                    trap = Trap::Unsupported;
                    break;
                }
                Instr::Return {} => do_return!(),
                Instr::ReturnOne { src } => {
                    *fp = *fp.add(src as usize);
                    do_return!()
                }
                Instr::Call { func: f, base } => {
                    if f >= ctx.num_imported_funcs {
                        let callee = ctx.compiled(f)?;
                        let me = ctx.instance;
                        enter_wasm!(callee, base, me);
                    } else {
                        let sf = ctx.funcs[f as usize];
                        call_store_func!(sf, base);
                    }
                }
                Instr::CallIndirect { index, base, site } => {
                    let s = (*func).sites[site as usize];
                    let i = rd::<u32>(fp, index) as usize;
                    let table = &(&mut *inner).tables[ctx.tables[s.table as usize] as usize];
                    let Some(&cell) = table.elements.get(i) else {
                        trap = Trap::UndefinedElement;
                        break;
                    };
                    if cell == 0 {
                        trap = Trap::UninitializedElement;
                        break;
                    }
                    let sf = (cell - 1) as u32;
                    if (&mut *inner).funcs[sf as usize].type_id() != s.type_id {
                        trap = Trap::IndirectCallTypeMismatch;
                        break;
                    }
                    call_store_func!(sf, base);
                }
                Instr::Select { dst, alt, cond } => {
                    if rd::<u32>(fp, cond) == 0 {
                        *fp.add(dst as usize) = *fp.add(alt as usize);
                    }
                }
                Instr::GlobalGet { dst, global } => *fp.add(dst as usize) = **ctx.globals.get_unchecked(global as usize),
                Instr::GlobalSet { src, global } => **ctx.globals.get_unchecked(global as usize) = *fp.add(src as usize),
                Instr::MemorySize { dst } => wr(fp, dst, (ctx.mem_len / 65536) as u32),
                Instr::MemoryGrow { dst, delta } => {
                    let delta = rd::<u32>(fp, delta) as u64;
                    let mem = &mut (&mut *inner).memories[ctx.memory as usize];
                    let old = mem.grow(delta).map_or(-1, |old| old as i32);
                    ctx.refresh_memory(&mut *inner);
                    wr(fp, dst, old);
                }
                Instr::MemoryCopy { dst, src, len } => check!(bulk::memory_copy(
                    &mut *inner, ctx.memory, rd(fp, dst), rd(fp, src), rd(fp, len)
                )),
                Instr::MemoryFill { dst, value, len } => check!(bulk::memory_fill(
                    &mut *inner, ctx.memory, rd(fp, dst), rd::<u32>(fp, value) as u8, rd(fp, len)
                )),
                Instr::MemoryInit { dst, src, len } => {
                    let (seg, _) = ext(&mut ip);
                    let args = [rd(fp, dst), rd(fp, src), rd(fp, len)];
                    check!(bulk::memory_init(&mut *inner, ctx.instance, ctx.memory, seg, args));
                }
                Instr::DataDrop { seg } => (&mut *inner).instances[ctx.instance as usize].data_dropped[seg as usize] = true,
                Instr::TableGet { dst, index, table } => {
                    match bulk::table_get(&*inner, ctx.tables[table as usize], rd(fp, index)) {
                        Ok(v) => *fp.add(dst as usize) = v,
                        Err(t) => { trap = t; break; }
                    }
                }
                Instr::TableSet { index, value, table } => check!(bulk::table_set(
                    &mut *inner, ctx.tables[table as usize], rd(fp, index), *fp.add(value as usize)
                )),
                Instr::TableSize { dst, table } => {
                    let n = (&mut *inner).tables[ctx.tables[table as usize] as usize].elements.len();
                    wr(fp, dst, n as u32);
                }
                Instr::TableGrow { dst, init, delta } => {
                    let (table, _) = ext(&mut ip);
                    let t = &mut (&mut *inner).tables[ctx.tables[table as usize] as usize];
                    let init = *fp.add(init as usize);
                    let r = super::table_grow(t, rd::<u32>(fp, delta) as u64, init);
                    wr(fp, dst, r.map_or(-1, |old| old as i32));
                }
                Instr::TableFill { dst, value, len } => {
                    let (table, _) = ext(&mut ip);
                    check!(bulk::table_fill(
                        &mut *inner, ctx.tables[table as usize], rd(fp, dst), *fp.add(value as usize), rd(fp, len)
                    ));
                }
                Instr::TableCopy { dst, src, len } => {
                    let (dt, st) = ext(&mut ip);
                    let args = [rd(fp, dst), rd(fp, src), rd(fp, len)];
                    check!(bulk::table_copy(&mut *inner, ctx.tables[dt as usize], ctx.tables[st as usize], args));
                }
                Instr::TableInit { dst, src, len } => {
                    let (table, seg) = ext(&mut ip);
                    check!(super::table_init(
                        &mut *inner, ctx.instance, table, seg, rd(fp, dst), rd(fp, src), rd(fp, len)
                    ));
                }
                Instr::ElemDrop { seg } => (&mut *inner).instances[ctx.instance as usize].elems[seg as usize].clear(),
                Instr::RefFunc { dst, func: f } => *fp.add(dst as usize) = ctx.funcs[f as usize] as u64 + 1,
                Instr::Ext { .. } => {}
            }));
        }
        Err(trap_error(&*inner, trap, ip, func, ctx.instance, &frames))
    }
}

/// The error for `trap` at `ip`, with the backtrace of the current frame and its callers.
unsafe fn trap_error(
    inner: &StoreInner,
    trap: Trap,
    ip: *const Instr,
    func: *const CompiledFunc,
    instance: u32,
    frames: &[Frame],
) -> anyhow::Error {
    let mut bt = WasmBacktrace::default();
    // SAFETY: every frame's function and return address are live.
    unsafe {
        bt.frames
            .push(frame_info(inner, instance, &*func, ip.sub(1)));
        for f in frames.iter().rev() {
            bt.frames
                .push(frame_info(inner, f.instance, &*f.func, f.ret_ip.sub(1)));
        }
    }
    anyhow::Error::new(trap).context(bt)
}

unsafe fn frame_info(
    inner: &StoreInner,
    instance: u32,
    func: &CompiledFunc,
    ip: *const Instr,
) -> FrameInfo {
    let module = &inner.instances[instance as usize].module;
    // SAFETY: `ip` points into `func.code`.
    let at = unsafe { ip.offset_from(func.code.as_ptr()) }.max(0) as usize;
    FrameInfo {
        module_name: module.name().map(str::to_string),
        func_index: func.func_index,
        func_name: module.info().func_name(func.func_index).map(str::to_string),
        module_offset: func.offsets.get(at).map(|&o| o as usize),
    }
}
