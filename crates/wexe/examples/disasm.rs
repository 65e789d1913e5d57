//! Prints the interpreter bytecode of every function of a module (a translator debugging aid).
fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).expect("usage: disasm FILE");
    let engine = wexe::Engine::default();
    let module = wexe::Module::from_file(&engine, &path)?;
    let info = module.info();
    for f in info.num_imported_funcs..info.funcs.len() {
        let name = info.func_name(f as u32).unwrap_or("");
        println!("func {f} {name}:\n{}", module.disassemble(f as u32)?);
    }
    Ok(())
}
