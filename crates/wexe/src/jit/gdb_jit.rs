//! The GDB JIT interface (GDB's "JIT Compilation Interface", which LLDB implements too): a
//! debugger attached to the process puts a breakpoint on [`__jit_debug_register_code`] and, each
//! time it is called, reads the in-memory object file [`__jit_debug_descriptor`] points at —
//! here one ELF image per compiled module (`wexe-debug`) with its symbols and native DWARF.
//! A [`DebugRegistration`] keeps its image linked in the descriptor's list until it is dropped.

use std::ptr;
use std::sync::Mutex;

#[repr(C)]
struct JitCodeEntry {
    next: *mut JitCodeEntry,
    prev: *mut JitCodeEntry,
    symfile_addr: *const u8,
    symfile_size: u64,
}

#[repr(C)]
pub struct JitDescriptor {
    version: u32,
    action_flag: u32,
    relevant_entry: *mut JitCodeEntry,
    first_entry: *mut JitCodeEntry,
}

const JIT_NOACTION: u32 = 0;
const JIT_REGISTER_FN: u32 = 1;
const JIT_UNREGISTER_FN: u32 = 2;

/// Read by debuggers by this name: the list of registered images.
#[unsafe(no_mangle)]
pub static mut __jit_debug_descriptor: JitDescriptor = JitDescriptor {
    version: 1,
    action_flag: JIT_NOACTION,
    relevant_entry: ptr::null_mut(),
    first_entry: ptr::null_mut(),
};

/// Debuggers break here to read the descriptor after each change; it must stay a real call.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn __jit_debug_register_code() {
    // Keeps the optimiser from merging or removing the (empty) function.
    // SAFETY: an empty asm block with no operands has no effect.
    unsafe { std::arch::asm!("", options(nomem, nostack, preserves_flags)) };
}

/// Serialises changes to the descriptor (the debugger reads it with the process stopped).
static LOCK: Mutex<()> = Mutex::new(());

/// An image registered with the debugger; unregistered when dropped.
pub(crate) struct DebugRegistration {
    entry: *mut JitCodeEntry,
    _image: Box<[u8]>,
    /// Problems met translating the module's DWARF.
    pub warnings: Vec<String>,
    /// The vmctx of the module's last instance, where variables outside functions find
    /// linear memory (its address is in the image).
    pub vmctx_cell: Box<std::sync::atomic::AtomicU64>,
}

// SAFETY: the entry is only touched under `LOCK`; the image is immutable.
unsafe impl Send for DebugRegistration {}
unsafe impl Sync for DebugRegistration {}

impl DebugRegistration {
    /// No image (the translation failed): only the warnings, nothing registered.
    pub fn failed(warnings: Vec<String>, vmctx_cell: Box<std::sync::atomic::AtomicU64>) -> Self {
        DebugRegistration {
            entry: ptr::null_mut(),
            _image: Box::new([]),
            warnings,
            vmctx_cell,
        }
    }

    pub fn new(
        image: Vec<u8>,
        warnings: Vec<String>,
        vmctx_cell: Box<std::sync::atomic::AtomicU64>,
    ) -> DebugRegistration {
        let image = image.into_boxed_slice();
        let entry = Box::into_raw(Box::new(JitCodeEntry {
            next: ptr::null_mut(),
            prev: ptr::null_mut(),
            symfile_addr: image.as_ptr(),
            symfile_size: image.len() as u64,
        }));
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the descriptor and the entries are only changed under `LOCK`.
        unsafe {
            let d = &raw mut __jit_debug_descriptor;
            (*entry).next = (*d).first_entry;
            if !(*d).first_entry.is_null() {
                (*(*d).first_entry).prev = entry;
            }
            (*d).first_entry = entry;
            (*d).relevant_entry = entry;
            (*d).action_flag = JIT_REGISTER_FN;
            __jit_debug_register_code();
            (*d).action_flag = JIT_NOACTION;
        }
        DebugRegistration {
            entry,
            _image: image,
            warnings,
            vmctx_cell,
        }
    }
}

impl Drop for DebugRegistration {
    fn drop(&mut self) {
        if self.entry.is_null() {
            return;
        }
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: `entry` is linked in the list (done in `new`), changed only under `LOCK`.
        unsafe {
            let d = &raw mut __jit_debug_descriptor;
            let e = self.entry;
            if (*e).prev.is_null() {
                (*d).first_entry = (*e).next;
            } else {
                (*(*e).prev).next = (*e).next;
            }
            if !(*e).next.is_null() {
                (*(*e).next).prev = (*e).prev;
            }
            (*d).relevant_entry = e;
            (*d).action_flag = JIT_UNREGISTER_FN;
            __jit_debug_register_code();
            (*d).action_flag = JIT_NOACTION;
            (*d).relevant_entry = ptr::null_mut();
            drop(Box::from_raw(e));
        }
    }
}
