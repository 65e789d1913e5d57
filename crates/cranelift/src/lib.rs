//! wexe-cranelift: compiles WebAssembly function bodies to machine code with Cranelift.
//!
//! [`CraneliftCompiler`] implements `wexe_environ::Compiler`: every defined function of a module
//! is translated to CLIF ([`translate`]) and compiled at `opt_level=speed` for the host, in
//! parallel across the machine's cores; per type index it also builds the two trampolines the
//! runtime needs ([`trampolines`]). The output is plain data (code bytes, relocations, trap sites,
//! source offsets) that the runtime loads into its own executable memory.

mod abi;
mod trampolines;
mod translate;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use cranelift_codegen::Context;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::entity::EntityRef;
use cranelift_codegen::ir::ExternalName;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{FinalizedRelocTarget, binemit::Reloc};
use cranelift_frontend::FunctionBuilderContext;
use wexe_environ::{
    CallSiteHandlers, CompileInput, CompiledFunction, CompiledModule, Compiler, LoopEntries,
    RelocKind, Relocation,
};

/// The Cranelift compiler for the host machine.
pub struct CraneliftCompiler {
    isa: OwnedTargetIsa,
}

impl CraneliftCompiler {
    /// A compiler for the machine this runs on; an error if Cranelift does not support it.
    pub fn new() -> Result<CraneliftCompiler, String> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| {
            f.set(k, v)
                .map_err(|e| format!("cranelift setting {k}: {e}"))
        };
        set(&mut flags, "opt_level", "speed")?;
        set(&mut flags, "preserve_frame_pointers", "true")?;
        set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
        set(&mut flags, "unwind_info", "false")?;
        set(&mut flags, "enable_probestack", "false")?;
        set(&mut flags, "enable_verifier", "false")?;
        let isa = cranelift_native::builder()?
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())?;
        Ok(CraneliftCompiler { isa })
    }
}

/// One unit of work: a defined function, one of the two trampolines of a type index, or an
/// on-stack-replacement entry of a defined function at a loop (its ordinal) and its array entry.
#[derive(Clone, Copy)]
enum Job {
    Func(u32),
    ArrayEntry(u32),
    HostAdapter(u32),
    Osr(u32, LoopEntries),
    OsrArrayEntry(u32),
}

impl Compiler for CraneliftCompiler {
    fn compile_module(&self, input: &CompileInput<'_>) -> Result<CompiledModule, String> {
        let mut jobs: Vec<Job> = (0..input.info.bodies.len() as u32).map(Job::Func).collect();
        jobs.extend(trampoline_jobs(input));
        self.run_jobs(input, &jobs)
    }

    fn compile_functions(
        &self,
        input: &CompileInput<'_>,
        defs: &[u32],
    ) -> Result<Vec<CompiledFunction>, String> {
        let mut ctx = Context::new();
        let mut fctx = FunctionBuilderContext::new();
        defs.iter()
            .map(|&def| self.compile_job(input, Job::Func(def), &mut ctx, &mut fctx))
            .collect()
    }

    fn compile_trampolines(&self, input: &CompileInput<'_>) -> Result<CompiledModule, String> {
        self.run_jobs(input, &trampoline_jobs(input))
    }

    fn compile_osr(
        &self,
        input: &CompileInput<'_>,
        def: u32,
        entries: LoopEntries,
    ) -> Result<(CompiledFunction, CompiledFunction), String> {
        let mut ctx = Context::new();
        let mut fctx = FunctionBuilderContext::new();
        let body = self.compile_job(input, Job::Osr(def, entries), &mut ctx, &mut fctx)?;
        let entry = self.compile_job(input, Job::OsrArrayEntry(def), &mut ctx, &mut fctx)?;
        Ok((body, entry))
    }

    fn fingerprint(&self) -> String {
        self.fingerprint_text()
    }
}

/// The two trampolines of every type index.
fn trampoline_jobs(input: &CompileInput<'_>) -> Vec<Job> {
    (0..input.info.types.len() as u32)
        .flat_map(|t| [Job::ArrayEntry(t), Job::HostAdapter(t)])
        .collect()
}

impl CraneliftCompiler {
    /// Runs `jobs` on all cores; the output lists them by kind, each kind in job order.
    fn run_jobs(&self, input: &CompileInput<'_>, jobs: &[Job]) -> Result<CompiledModule, String> {
        let results: Vec<Mutex<Option<Result<CompiledFunction, String>>>> =
            jobs.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(jobs.len().div_ceil(4))
            .max(1);
        let work = || {
            let mut ctx = Context::new();
            let mut fctx = FunctionBuilderContext::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&job) = jobs.get(i) else { break };
                let out = self.compile_job(input, job, &mut ctx, &mut fctx);
                *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(out);
            }
        };
        if threads == 1 {
            work();
        } else {
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(work);
                }
            });
        }
        let mut out = CompiledModule::default();
        for (job, r) in jobs.iter().zip(results) {
            let f = r
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .ok_or("a compile job did not run")??;
            match job {
                Job::Func(_) | Job::Osr(..) => out.funcs.push(f),
                Job::OsrArrayEntry(_) => out.array_entries.push(f),
                Job::ArrayEntry(_) => out.array_entries.push(f),
                Job::HostAdapter(_) => out.host_adapters.push(f),
            }
        }
        Ok(out)
    }
}

/// Revision of the generated code and its ABI, part of the fingerprint so that modules cached by
/// an earlier build of the same version are compiled again: 2 since SIMD is translated and v128
/// values are passed as `I8X16` vectors (they were `I128` before); 3 since `memory.grow` and
/// `table.grow` trap when their builtin returns `GROW_TRAPPED`; 4 since `memory.fill` and
/// `memory.copy` pass memory definitions to their builtins, not indices; 5 since wasm functions
/// use Cranelift's `tail` calling convention (tail calls); 6 since builtins take 64-bit
/// addresses, indices and lengths and the growth builtins return 64-bit sizes (memory64); 7
/// since a branch to a block that only traps as `unreachable` carries the `unreachable`'s
/// source location; 8 since exceptions are compiled (`try_call` with exception tables, the
/// `ExnNew`/`ExnPayload`/`Throw` builtins, `HostCall`'s thrown result); 9 since the host adapter
/// no longer traps after a failed host call (the `HostCall` builtin ends the activation itself,
/// and an adapter without the trap must not run with a runtime whose builtin returns failure);
/// 10 since a function compiled alone (tier-up) calls itself directly, with a relocation.
const CODE_REVISION: u32 = 10;

impl CraneliftCompiler {
    fn fingerprint_text(&self) -> String {
        let isa_flags: Vec<String> = self.isa.isa_flags().iter().map(|f| f.to_string()).collect();
        format!(
            "wexe-cranelift {} r{CODE_REVISION} {} [{}] [{}]",
            env!("CARGO_PKG_VERSION"),
            self.isa.triple(),
            self.isa.flags(),
            isa_flags.join(" ")
        )
    }

    fn compile_job(
        &self,
        input: &CompileInput<'_>,
        job: Job,
        ctx: &mut Context,
        fctx: &mut FunctionBuilderContext,
    ) -> Result<CompiledFunction, String> {
        ctx.clear();
        let isa = &*self.isa;
        let type_index = match job {
            Job::ArrayEntry(t) | Job::HostAdapter(t) => Some(t as usize),
            Job::Func(_) | Job::Osr(..) | Job::OsrArrayEntry(_) => None,
        };
        if type_index.is_some_and(|t| input.info.types[t].as_func().is_none()) {
            // A struct or array type: no trampolines, an empty entry keeps the lists indexed
            // by type index.
            return Ok(CompiledFunction::default());
        }
        let mut debug_slots = None;
        match job {
            Job::Func(def) => {
                debug_slots =
                    translate::translate_function(isa, input, def, None, &mut ctx.func, fctx)?
            }
            Job::Osr(def, entries) => {
                let osr = Some(entries);
                translate::translate_function(isa, input, def, osr, &mut ctx.func, fctx)?;
            }
            Job::ArrayEntry(t) => {
                let fty = input.info.signature(t);
                trampolines::array_entry(isa, fty, t, &mut ctx.func, fctx)
            }
            Job::OsrArrayEntry(def) => {
                let index = input.info.num_imported_funcs as u32 + def;
                let fty = translate::osr_type(input.info.func_type(index));
                trampolines::array_entry(isa, &fty, def, &mut ctx.func, fctx)
            }
            Job::HostAdapter(t) => {
                trampolines::host_adapter(isa, input.info, t, &mut ctx.func, fctx)
            }
        }
        let user_names: Vec<u32> = ctx
            .func
            .params
            .user_named_funcs()
            .values()
            .map(|n| n.index)
            .collect();
        let code = ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| format!("cranelift: {:?}", e.inner))?;
        let buf = &code.buffer;
        let mut relocs = Vec::new();
        for r in buf.relocs() {
            let kind = match r.kind {
                Reloc::X86CallPCRel4 | Reloc::X86PCRel4 => RelocKind::X86PcRel4,
                Reloc::Abs8 => RelocKind::Abs8,
                Reloc::Arm64Call => RelocKind::Arm64Call,
                other => return Err(format!("unsupported relocation {other:?}")),
            };
            let target = match &r.target {
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    user_names[name.index()]
                }
                other => return Err(format!("unsupported relocation target {other:?}")),
            };
            relocs.push(Relocation {
                offset: r.offset,
                kind,
                target,
                addend: r.addend,
            });
        }
        let mut traps = buf
            .traps()
            .iter()
            .map(|t| Ok((t.offset, abi::trap_from_cranelift(t.code)?)))
            .collect::<Result<Vec<(u32, wexe_environ::TrapCode)>, String>>()?;
        traps.sort_by_key(|t| t.0);
        let srclocs = buf
            .get_srclocs_sorted()
            .iter()
            .filter(|s| !s.loc.is_default())
            .map(|s| (s.start, s.end, s.loc.bits()))
            .collect();
        let handlers = call_site_handlers(buf)?;
        let debug_slots = debug_slots.and_then(|slots| slots.resolve(buf));
        Ok(CompiledFunction {
            code: buf.data().to_vec(),
            relocs,
            traps,
            srclocs,
            handlers,
            debug_slots,
        })
    }
}

/// The calls of a compiled function that have exception handlers, for the runtime's unwinder.
/// Each exception table of ours starts with the function's vmctx as its dynamic context, which
/// the call (all registers clobbered) keeps in a stack slot.
fn call_site_handlers(
    buf: &cranelift_codegen::MachBufferFinalized<cranelift_codegen::Final>,
) -> Result<Vec<CallSiteHandlers>, String> {
    use cranelift_codegen::{ExceptionContextLoc, FinalizedMachExceptionHandler as H};
    let mut out = Vec::new();
    for site in buf.call_sites() {
        if site.exception_handlers.is_empty() {
            continue;
        }
        let internal = |what: &str| format!("internal error: a call with handlers {what}");
        let frame_offset = site
            .frame_offset
            .ok_or_else(|| internal("has no frame offset"))?;
        let mut entry = CallSiteHandlers {
            ret_addr: site.ret_addr,
            frame_offset,
            vmctx_sp_offset: 0,
            handlers: Vec::new(),
        };
        let mut context = false;
        for h in site.exception_handlers {
            match *h {
                H::Context(ExceptionContextLoc::SPOffset(off)) if !context => {
                    entry.vmctx_sp_offset = off;
                    context = true;
                }
                H::Context(_) => return Err(internal("keeps its vmctx outside the stack")),
                H::Tag(tag, at) if context => entry.handlers.push((Some(tag.as_u32()), at)),
                H::Default(at) if context => entry.handlers.push((None, at)),
                _ => return Err(internal("has no vmctx context")),
            }
        }
        out.push(entry);
    }
    out.sort_by_key(|s| s.ret_addr);
    Ok(out)
}
