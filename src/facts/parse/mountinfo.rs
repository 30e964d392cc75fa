//! `/proc/<pid>/mountinfo`, one mount per line, parsed by procfs with our own
//! line numbers and unescaping of `\040`-style octal escapes.

use crate::root::ReadError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub mount_point: String,
    pub fs_type: String,
    pub source: String,
    /// st_dev of the filesystem, `major:minor`.
    pub major: u32,
    pub minor: u32,
    pub line: usize,
    /// Filesystem options (`codepage=437`, `iocharset=ascii`), name → value.
    pub super_options: Vec<(String, String)>,
}

pub fn parse(text: &str, path: &str) -> Result<Vec<Mount>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        // procfs's own error text is multi-line and names its build paths;
        // the admin needs the file, the line and the expected shape.
        let mi = procfs::process::MountInfo::from_line(line).map_err(|_| {
            ReadError::at_line(path, n, "malformed mountinfo line (expected `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS] - FSTYPE SOURCE SUPEROPTS`)")
        })?;
        let (ma, mi_) = mi
            .majmin
            .split_once(':')
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            .ok_or_else(|| {
                ReadError::at_line(path, n, format!("bad major:minor {:?}", mi.majmin))
            })?;
        out.push(Mount {
            mount_point: unescape(&mi.mount_point.to_string_lossy()),
            fs_type: mi.fs_type.clone(),
            source: unescape(mi.mount_source.as_deref().unwrap_or("")),
            major: ma,
            minor: mi_,
            line: n,
            super_options: {
                let mut o: Vec<(String, String)> = mi
                    .super_options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
                    .collect();
                o.sort();
                o
            },
        });
    }
    Ok(out)
}

/// The kernel writes space, tab, newline and backslash as `\ooo`.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 <= b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = b[i + 1..i + 4]
                .iter()
                .fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_lines() {
        let t = "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n\
                 30 22 7:0 / /mnt/my\\040disk rw - ext2 /dev/loop0 rw\n";
        let m = parse(t, "/proc/self/mountinfo").unwrap();
        assert_eq!(
            (m[0].major, m[0].minor, m[0].fs_type.as_str()),
            (254, 1, "ext4")
        );
        assert_eq!(m[1].mount_point, "/mnt/my disk");
        assert_eq!(unescape("a\\é\\1"), "a\\é\\1");
        assert_eq!(unescape("\\777x"), "\\777x");
        assert!(
            parse("garbage\n", "/p")
                .unwrap_err()
                .to_string()
                .contains("line 1")
        );
    }
}
