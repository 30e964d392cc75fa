//! `/proc/swaps`: `Filename Type Size Used Priority`, header first.

use crate::root::ReadError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    pub filename: String,
    pub kind: String,
    pub line: usize,
}

pub fn parse(text: &str, path: &str) -> Result<Vec<Swap>, ReadError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 && line.starts_with("Filename") || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 5 {
            return Err(ReadError::at_line(
                path,
                i + 1,
                "expected Filename Type Size Used Priority",
            ));
        }
        out.push(Swap {
            filename: super::mountinfo::unescape(cols[0]),
            kind: cols[1].to_string(),
            line: i + 1,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses() {
        let s = super::parse(
            "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/vda2 partition 1048572 0 -2\n",
            "/proc/swaps",
        )
        .unwrap();
        assert_eq!(s[0].filename, "/dev/vda2");
        assert!(super::parse("Filename\nx y\n", "/p").is_err());
    }
}
