// A Rust guest for tests/debugger.rs: a linked list of three nodes on the shadow stack, summed
// by `nodes::sum` — Rust paths, references, a struct whose member is a guest pointer
// (`Option<&Node>`), locals in lexical blocks. Built by build.sh (rustc -g -C opt-level=0);
// nodes.wasm is checked in because this machine has no Rust standard library for wasm32, so the
// program is `#![no_core]` and declares the few language items it uses itself.
#![feature(no_core, lang_items, auto_traits)]
#![allow(internal_features)]
#![no_core]
#![no_std]
#![no_main]

#[lang = "pointee_sized"]
pub trait PointeeSized {}
#[lang = "meta_sized"]
pub trait MetaSized: PointeeSized {}
#[lang = "sized"]
pub trait Sized: MetaSized {}
#[lang = "copy"]
pub trait Copy {}
#[lang = "freeze"]
pub unsafe auto trait Freeze {}
#[lang = "add"]
pub trait Add<Rhs = Self> {
    type Output;
    fn add(self, rhs: Rhs) -> Self::Output;
}
impl Add for i32 {
    type Output = i32;
    fn add(self, rhs: i32) -> i32 {
        self + rhs
    }
}
impl Copy for i32 {}
impl<T: PointeeSized> Copy for &T {}
impl<T: Copy> Copy for Option<T> {}
#[lang = "panic_const_add_overflow"]
fn panic_const_add_overflow() -> ! {
    loop {}
}

#[lang = "Option"]
pub enum Option<T> {
    None,
    Some(T),
}

pub struct Node<'a> {
    pub value: i32,
    pub next: Option<&'a Node<'a>>,
}

#[inline(never)]
pub fn sum(list: &Node) -> i32 {
    let mut total = 0;
    let mut cur = list;
    loop {
        total = total + cur.value;
        match cur.next {
            Option::Some(n) => cur = n,
            Option::None => return total,
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() {
    let c = Node { value: 30, next: Option::None };
    let b = Node { value: 20, next: Option::Some(&c) };
    let a = Node { value: 10, next: Option::Some(&b) };
    let s = sum(&a);
    let _ = s;
}
