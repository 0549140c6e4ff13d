//! Java's `Double.toString` and `Float.toString` as JDK 8–18 print them (`FloatingDecimal`), which
//! is not always the shortest representation: `1.0E23` prints as
//! `9.999999999999999E22`, `2^-25` as `2.9802322387695312E-8`. Velocity 1.7
//! runs on such JDKs, so this reimplements that algorithm (Steele & White
//! digit generation with FloatingDecimal's estimate, stopping tests and
//! rounding) rather than a shortest-digits one.

const N_5_BITS: [i32; 27] = [
    0, 3, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28, 31, 33, 35, 38, 40, 42, 45, 47, 49, 52, 54, 56,
    59, 61,
];
const INSIGNIFICANT_DIGITS: [i32; 64] = [
    0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9,
    9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15, 15, 16, 16,
    16, 17, 17, 17, 18, 18, 18, 19,
];

fn pow5(n: i32) -> u64 {
    5u64.pow(n as u32)
}

/// A small unsigned big integer (little-endian base 2^32).
#[derive(Clone, Debug)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(v: u64) -> Big {
        let mut b = Big(vec![v as u32, (v >> 32) as u32]);
        b.trim();
        b
    }

    fn trim(&mut self) {
        while self.0.len() > 1 && *self.0.last().unwrap_or(&1) == 0 {
            self.0.pop();
        }
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for w in &mut self.0 {
            let p = u64::from(*w) * u64::from(m) + carry;
            *w = p as u32;
            carry = p >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow5(&mut self, mut n: i32) {
        while n >= 13 {
            self.mul_small(1_220_703_125); // 5^13
            n -= 13;
        }
        if n > 0 {
            self.mul_small(5u32.pow(n as u32));
        }
    }

    fn shl(&mut self, n: i32) {
        if n <= 0 {
            return;
        }
        let words = (n / 32) as usize;
        let bits = n % 32;
        if bits > 0 {
            let mut carry = 0u32;
            for w in &mut self.0 {
                let nw = (*w << bits) | carry;
                carry = *w >> (32 - bits);
                *w = nw;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        if words > 0 {
            let mut v = vec![0u32; words];
            v.extend_from_slice(&self.0);
            self.0 = v;
        }
        self.trim();
    }

    fn pow52(p5: i32, p2: i32, base: u64) -> Big {
        let mut b = Big::from_u64(base);
        b.mul_pow5(p5);
        b.shl(p2);
        b
    }

    fn cmp(&self, o: &Big) -> std::cmp::Ordering {
        let (a, b) = (&self.0, &o.0);
        let la = a.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1);
        let lb = b.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1);
        if la != lb {
            return la.cmp(&lb);
        }
        for i in (0..la).rev() {
            if a[i] != b[i] {
                return a[i].cmp(&b[i]);
            }
        }
        std::cmp::Ordering::Equal
    }

    fn sub(&mut self, o: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let d = i64::from(self.0[i]) - i64::from(*o.0.get(i).unwrap_or(&0)) - borrow;
            if d < 0 {
                self.0[i] = (d + (1i64 << 32)) as u32;
                borrow = 1;
            } else {
                self.0[i] = d as u32;
                borrow = 0;
            }
        }
        self.trim();
    }

    fn add(&self, o: &Big) -> Big {
        let n = self.0.len().max(o.0.len());
        let mut out = Vec::with_capacity(n + 1);
        let mut carry = 0u64;
        for i in 0..n {
            let s = u64::from(*self.0.get(i).unwrap_or(&0))
                + u64::from(*o.0.get(i).unwrap_or(&0))
                + carry;
            out.push(s as u32);
            carry = s >> 32;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Big(out)
    }

    /// `q = self / s` (a single digit), `self = (self % s) * 10`.
    fn quo_rem_iteration(&mut self, s: &Big) -> u32 {
        let mut q = 0;
        while self.cmp(s) != std::cmp::Ordering::Less {
            self.sub(s);
            q += 1;
        }
        self.mul_small(10);
        q
    }
}

// FloatingDecimal's own constants: LOG10_2 would change some estimates.
#[allow(clippy::approx_constant)]
fn estimate_dec_exp(fract_bits: u64, bin_exp: i32) -> i32 {
    let d2 = f64::from_bits(0x3ff0_0000_0000_0000 | (fract_bits & 0x000f_ffff_ffff_ffff));
    let d = (d2 - 1.5) * 0.289529654 + 0.176091259 + f64::from(bin_exp) * 0.301029995663981;
    d.floor() as i32
}

struct Digits {
    digits: Vec<u8>,
    dec_exponent: i32,
}

impl Digits {
    fn roundup(&mut self) {
        let mut i = self.digits.len() - 1;
        let mut q = self.digits[i];
        if q == b'9' {
            while q == b'9' && i > 0 {
                self.digits[i] = b'0';
                i -= 1;
                q = self.digits[i];
            }
            if q == b'9' {
                self.dec_exponent += 1;
                self.digits[0] = b'1';
                return;
            }
        }
        self.digits[i] = q + 1;
    }
}

fn develop_long_digits(mut dec_exponent: i32, mut lvalue: u64, insignificant: i32) -> Digits {
    if insignificant != 0 {
        let pow10 = pow5(insignificant) << insignificant;
        let residue = lvalue % pow10;
        lvalue /= pow10;
        dec_exponent += insignificant;
        if residue >= (pow10 >> 1) {
            lvalue += 1;
        }
    }
    let mut c = lvalue % 10;
    lvalue /= 10;
    while c == 0 {
        dec_exponent += 1;
        c = lvalue % 10;
        lvalue /= 10;
    }
    let mut rev = Vec::new();
    while lvalue != 0 {
        rev.push(b'0' + c as u8);
        dec_exponent += 1;
        c = lvalue % 10;
        lvalue /= 10;
    }
    rev.push(b'0' + c as u8);
    rev.reverse();
    Digits {
        digits: rev,
        dec_exponent: dec_exponent + 1,
    }
}

fn dtoa(bin_exp: i32, mut fract_bits: u64, n_significant_bits: i32) -> Digits {
    const EXP_SHIFT: i32 = 52;
    let tail_zeros = fract_bits.trailing_zeros() as i32;
    let n_fract_bits = EXP_SHIFT + 1 - tail_zeros;
    let n_tiny_bits = (n_fract_bits - bin_exp - 1).max(0);
    if (-21..=62).contains(&bin_exp)
        && (n_tiny_bits as usize) < N_5_BITS.len()
        && n_fract_bits + N_5_BITS[n_tiny_bits as usize] < 64
        && n_tiny_bits == 0
    {
        let insignificant = if bin_exp > n_significant_bits {
            let p2 = bin_exp - n_significant_bits - 1;
            if p2 > 1 && (p2 as usize) < INSIGNIFICANT_DIGITS.len() {
                INSIGNIFICANT_DIGITS[p2 as usize]
            } else {
                0
            }
        } else {
            0
        };
        if bin_exp >= EXP_SHIFT {
            fract_bits <<= bin_exp - EXP_SHIFT;
        } else {
            fract_bits >>= EXP_SHIFT - bin_exp;
        }
        return develop_long_digits(0, fract_bits, insignificant);
    }
    let mut dec_exp = estimate_dec_exp(fract_bits, bin_exp);
    let b5 = (-dec_exp).max(0);
    let mut b2 = b5 + n_tiny_bits + bin_exp;
    let s5 = dec_exp.max(0);
    let mut s2 = s5 + n_tiny_bits;
    let m5 = b5;
    let mut m2 = b2 - n_significant_bits;
    fract_bits >>= tail_zeros;
    b2 -= n_fract_bits - 1;
    let common = b2.min(s2);
    b2 -= common;
    s2 -= common;
    m2 -= common;
    if n_fract_bits == 1 {
        m2 -= 1;
    }
    if m2 < 0 {
        b2 -= m2;
        s2 -= m2;
        m2 = 0;
    }
    let bits5 = |n: i32| {
        if (n as usize) < N_5_BITS.len() {
            N_5_BITS[n as usize]
        } else {
            n * 3
        }
    };
    let b_bits = n_fract_bits + b2 + bits5(b5);
    let ten_s_bits = s2 + 1 + bits5(s5 + 1);
    let mut digits: Vec<u8> = Vec::with_capacity(20);
    let (low, high, low_digit_difference): (bool, bool, i64);
    if b_bits < 64 && ten_s_bits < 64 {
        // FloatingDecimal has int and long variants; they agree except for
        // the overflow hack, which both implement the same way.
        let (mut b, s, mut m): (i64, i64, i64) = if b_bits < 32 && ten_s_bits < 32 {
            (
                i64::from(((fract_bits as i32).wrapping_mul(pow5(b5) as i32)) << b2),
                i64::from((pow5(s5) as i32) << s2),
                i64::from((pow5(m5) as i32) << m2),
            )
        } else {
            (
                (fract_bits.wrapping_mul(pow5(b5)) << b2) as i64,
                (pow5(s5) << s2) as i64,
                (pow5(m5) << m2) as i64,
            )
        };
        let small = b_bits < 32 && ten_s_bits < 32;
        let tens = s * 10;
        let mut q = b / s;
        b = 10 * (b % s);
        m = if small {
            i64::from((m as i32).wrapping_mul(10))
        } else {
            m.wrapping_mul(10)
        };
        // Java computes these in the variant's width (int or long), wrapping.
        let over = |b: i64, m: i64| {
            if small {
                (b as i32).wrapping_add(m as i32) > tens as i32
            } else {
                b.wrapping_add(m) > tens
            }
        };
        let mut lo = b < m;
        let mut hi = over(b, m);
        if q == 0 && !hi {
            dec_exp -= 1;
        } else {
            digits.push(b'0' + q as u8);
        }
        if !(-3..8).contains(&dec_exp) {
            hi = false;
            lo = false;
        }
        while !lo && !hi {
            q = b / s;
            b = 10 * (b % s);
            m = if small {
                i64::from((m as i32).wrapping_mul(10))
            } else {
                m.wrapping_mul(10)
            };
            if m > 0 {
                lo = b < m;
                hi = over(b, m);
            } else {
                lo = true;
                hi = true;
            }
            digits.push(b'0' + q as u8);
        }
        low = lo;
        high = hi;
        low_digit_difference = if small {
            i64::from((b as i32).wrapping_shl(1).wrapping_sub(tens as i32))
        } else {
            b.wrapping_shl(1).wrapping_sub(tens)
        };
    } else {
        let s = Big::pow52(s5, s2, 1);
        let mut b = Big::pow52(b5, b2, fract_bits);
        let mut m = Big::pow52(m5 + 1, m2 + 1, 1);
        let ten_s = Big::pow52(s5 + 1, s2 + 1, 1);
        let mut q = b.quo_rem_iteration(&s);
        let mut lo = b.cmp(&m) == std::cmp::Ordering::Less;
        let mut hi = ten_s.cmp(&b.add(&m)) != std::cmp::Ordering::Greater;
        if q == 0 && !hi {
            dec_exp -= 1;
        } else {
            digits.push(b'0' + q as u8);
        }
        if !(-3..8).contains(&dec_exp) {
            hi = false;
            lo = false;
        }
        while !lo && !hi {
            q = b.quo_rem_iteration(&s);
            m.mul_small(10);
            lo = b.cmp(&m) == std::cmp::Ordering::Less;
            hi = ten_s.cmp(&b.add(&m)) != std::cmp::Ordering::Greater;
            digits.push(b'0' + q as u8);
        }
        low = lo;
        high = hi;
        low_digit_difference = if hi && lo {
            let mut b2x = b.clone();
            b2x.shl(1);
            b2x.cmp(&ten_s) as i64
        } else {
            0
        };
    }
    let mut d = Digits {
        digits,
        dec_exponent: dec_exp + 1,
    };
    if d.digits.is_empty() {
        d.digits.push(b'0');
    }
    if high {
        if low {
            if low_digit_difference == 0 {
                if d.digits.last().is_some_and(|c| c & 1 != 0) {
                    d.roundup();
                }
            } else if low_digit_difference > 0 {
                d.roundup();
            }
        } else {
            d.roundup();
        }
    }
    d
}

/// Appends Java's `Double.toString(d)` for a finite, non-zero `d`.
pub(crate) fn write_finite(d: f64, out: &mut String) {
    let bits = d.to_bits();
    if bits >> 63 != 0 {
        out.push('-');
    }
    let mut fract_bits = bits & 0x000f_ffff_ffff_ffff;
    let mut bin_exp = ((bits >> 52) & 0x7ff) as i32;
    let n_significant_bits;
    if bin_exp == 0 {
        let leading = fract_bits.leading_zeros() as i32;
        let shift = leading - (63 - 52);
        fract_bits <<= shift;
        bin_exp = 1 - shift;
        n_significant_bits = 64 - leading;
    } else {
        fract_bits |= 1 << 52;
        n_significant_bits = 53;
    }
    bin_exp -= 1023;
    let Digits {
        digits,
        dec_exponent: e,
    } = dtoa(bin_exp, fract_bits, n_significant_bits);
    layout(&digits, e, out);
}

/// Java's `toString` layout of decimal digits with exponent `e` (the
/// position of the decimal point).
fn layout(digits: &[u8], e: i32, out: &mut String) {
    let n = digits.len() as i32;
    let ds = |r: std::ops::Range<i32>, out: &mut String| {
        for &c in &digits[r.start as usize..r.end as usize] {
            out.push(c as char);
        }
    };
    if e > 0 && e < 8 {
        let cl = n.min(e);
        ds(0..cl, out);
        if cl < e {
            for _ in 0..e - cl {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push('.');
            if cl < n {
                ds(cl..n, out);
            } else {
                out.push('0');
            }
        }
    } else if e <= 0 && e > -3 {
        out.push_str("0.");
        for _ in 0..-e {
            out.push('0');
        }
        ds(0..n, out);
    } else {
        ds(0..1, out);
        out.push('.');
        if n > 1 {
            ds(1..n, out);
        } else {
            out.push('0');
        }
        out.push('E');
        let x = if e <= 0 {
            out.push('-');
            -e + 1
        } else {
            e - 1
        };
        out.push_str(&x.to_string());
    }
}

/// Appends Java's `Float.toString(f)` for a finite, non-zero `f`: the same
/// `FloatingDecimal` digit generation, fed with the float's 24 significant
/// bits.
pub(crate) fn write_float_finite(f: f32, out: &mut String) {
    let bits = f.to_bits();
    if bits >> 31 != 0 {
        out.push('-');
    }
    let mut fract_bits = bits & 0x007f_ffff;
    let mut bin_exp = ((bits >> 23) & 0xff) as i32;
    let n_significant_bits;
    if bin_exp == 0 {
        let leading = fract_bits.leading_zeros() as i32;
        let shift = leading - (31 - 23);
        fract_bits <<= shift;
        bin_exp = 1 - shift;
        n_significant_bits = 32 - leading;
    } else {
        fract_bits |= 1 << 23;
        n_significant_bits = 24;
    }
    bin_exp -= 127;
    let Digits {
        digits,
        dec_exponent: e,
    } = dtoa(
        bin_exp,
        u64::from(fract_bits) << (52 - 23),
        n_significant_bits,
    );
    layout(&digits, e, out);
}
