//! `Double.toString` against the real JDK: 30,000 doubles (random bit patterns and decimal
//! literals of 1–17 digits with exponents within ±30, the values JSON bodies carry) printed by
//! `java` and by apigw-vtl must agree character for character.
//!
//! Needs `java` and `javac` (JDK 17, which `.ci/run` installs); without them the test fails
//! with a message saying so rather than passing silently.

use std::io::Write;
use std::process::{Command, Stdio};

use apigw_vtl::Value;

const ORACLE: &str = r#"
public class DoubleOracle {
    public static void main(String[] args) throws Exception {
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            double d = Double.longBitsToDouble(Long.parseUnsignedLong(line, 16));
            out.append(Double.toString(d)).append('\n');
        }
        System.out.print(out);
    }
}
"#;

/// xorshift64*: a fixed, reproducible stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn inputs() -> Vec<f64> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Found by the JSON reader's property test: overflowed FloatingDecimal's int arithmetic.
    let mut v = vec![0.25069e-2, 0.1, 100.0, 1e7, 1e-3, 9.999_999e-4];
    while v.len() < 30_000 {
        let d = if rng.next().is_multiple_of(6) {
            f64::from_bits(rng.next())
        } else {
            let digits = 1 + (rng.next() % 17) as u32;
            let mantissa = 1 + rng.next() % 10u64.pow(digits);
            let exp = (rng.next() % 61) as i32 - 30;
            format!("{mantissa}e{exp}").parse().unwrap_or(0.0)
        };
        if d.is_finite() {
            v.push(d);
        }
    }
    v
}

#[test]
fn double_printing_matches_the_jdk() {
    let dir = std::env::temp_dir().join(format!("apigw-vtl-double-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("DoubleOracle.java"), ORACLE).unwrap();
    let javac = Command::new("javac")
        .arg("DoubleOracle.java")
        .current_dir(&dir)
        .status()
        .expect("javac (JDK 17) is needed: apt-get install -y openjdk-17-jdk-headless");
    assert!(javac.success(), "javac failed");
    let values = inputs();
    let mut child = Command::new("java")
        .args(["-cp", ".", "DoubleOracle"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("java (JDK 17) is needed");
    let mut stdin = child.stdin.take().unwrap();
    let input: String = values
        .iter()
        .map(|d| format!("{:016x}\n", d.to_bits()))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "java failed");
    let java = String::from_utf8(output.stdout).unwrap();
    let java: Vec<&str> = java.lines().collect();
    assert_eq!(java.len(), values.len());
    let mut wrong = Vec::new();
    for (d, expected) in values.iter().zip(&java) {
        let ours = Value::double(*d).to_string();
        if ours != *expected {
            wrong.push(format!(
                "{:016x}: java {expected}, ours {ours}",
                d.to_bits()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ, first: {:?}",
        wrong.len(),
        values.len(),
        &wrong[..wrong.len().min(10)]
    );
}
