//! The recordings a snapshot keeps beside the files it copied (`devices.tsv`, `links.tsv`,
//! `nftables.tsv`) share one shape: tab-separated columns, `#` comments and blank lines
//! skipped, errors naming the 1-based line.

/// The records of TEXT: (line number, columns), comments and blank lines left out.
pub(super) fn records(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.starts_with('#') && !line.trim().is_empty())
        .map(|(i, line)| (i + 1, line.split('\t').collect()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn skips_comments_and_blank_lines_and_numbers_lines_from_one() {
        let r: Vec<_> = super::records("# c\n\na\tb\n \nc\n").collect();
        assert_eq!(r, vec![(3, vec!["a", "b"]), (5, vec!["c"])]);
    }
}
