//! `Config::debug_info`: builds a compiled module's debug image (`wexe-debug`: ELF with native
//! DWARF translated from the module's) and registers it with debuggers ([`super::gdb_jit`]).

use std::sync::atomic::{AtomicU64, Ordering};

use wexe_environ::ModuleInfo;
use wexe_environ::vmoffsets::{MEMDEF_BASE, VMOffsets};

use super::JitModule;
use super::gdb_jit::DebugRegistration;

/// Registers `jit`'s code with debuggers when `engine` is configured to.
pub(crate) fn register(
    engine: &crate::Engine,
    jit: &mut JitModule,
    info: &ModuleInfo,
    wasm: &[u8],
) {
    if !engine.config().debug_info {
        return;
    }
    let Some(arch) = wexe_debug::Arch::host() else {
        return;
    };
    let offsets = VMOffsets::new(info);
    let cell = Box::new(AtomicU64::new(0));
    let layout = wexe_debug::VmctxLayout {
        memory0: (!info.memories.is_empty()).then(|| (offsets.memory(0), MEMDEF_BASE)),
        globals: (0..info.globals.len() as u32)
            .map(|g| offsets.global(g))
            .collect(),
        vmctx_cell: cell.as_ptr() as u64,
    };
    let (code, funcs) = jit.layout();
    let base = code.as_ptr() as u64;
    let slots: Vec<Option<wexe_debug::Slots>> = funcs
        .iter()
        .map(|f| {
            f.4.map(|s| wexe_debug::Slots {
                vmctx: s.vmctx,
                locals: s.locals.clone(),
            })
        })
        .collect();
    let natives: Vec<wexe_debug::NativeFunc<'_>> = funcs
        .iter()
        .zip(&slots)
        .map(|(&(def, start, len, srclocs, _), slots)| {
            let (name, body) = match def {
                Some(def) => {
                    let index = (info.num_imported_funcs + def) as u32;
                    let name = match info.func_name(index) {
                        Some(name) => name.to_string(),
                        None => format!("wasm-function[{index}]"),
                    };
                    let r = &info.bodies[def].range;
                    (name, Some(r.start as u32..r.end as u32))
                }
                None => ("wexe trampoline".to_string(), None),
            };
            wexe_debug::NativeFunc {
                name,
                address: base + start as u64,
                len: len as u64,
                body,
                srclocs,
                slots: slots.as_ref(),
            }
        })
        .collect();
    // The DWARF is the module's, as untrusted as its code: a bug of the translation that it
    // trips must not take the program down, only its debug information.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wexe_debug::build_image(arch, wasm, base, code, &natives, &layout)
    }));
    let Ok(image) = built else {
        let warning = "the module's DWARF could not be translated (an internal error): no \
                       source-level debugging for it"
            .to_string();
        jit.debug = Some(DebugRegistration::failed(vec![warning], cell));
        return;
    };
    jit.debug = Some(DebugRegistration::new(image.elf, image.warnings, cell));
}

/// Notes the vmctx of a new instance of `jit`'s module (for variables outside functions).
pub(crate) fn note_instance(jit: &JitModule, vmctx: *const u64) {
    if let Some(d) = &jit.debug {
        d.vmctx_cell.store(vmctx as u64, Ordering::Relaxed);
    }
}

impl JitModule {
    /// What of the module's DWARF was not translated (empty without debug info).
    pub(crate) fn debug_warnings(&self) -> &[String] {
        self.debug.as_ref().map_or(&[], |d| &d.warnings)
    }
}
