fn main() {
    println!("ikelab");
}
