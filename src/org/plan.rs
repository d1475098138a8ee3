//! The assignment of repositories to shards: deterministic (the same list gives
//! the same shards on every machine) and balanced by size where sizes are known,
//! else by count. Largest first, each to the lightest shard so far (ties to the
//! lowest shard), which keeps the heaviest shard within one repository of the mean.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use crate::org::repos::{self, Repo};
use crate::org::{PlanFormat, PlanOptions, Shard};

/// The repositories of each shard (index 0 is shard 1), each in list order.
pub fn assign(repos: &[Repo], count: usize) -> Vec<Vec<usize>> {
    let known: Vec<u64> = repos.iter().filter_map(|r| r.size).collect();
    // Unknown sizes weigh the mean of the known ones; none known: one each.
    let fallback = if known.is_empty() {
        1
    } else {
        (known.iter().sum::<u64>() / known.len() as u64).max(1)
    };
    let weight = |r: &Repo| r.size.unwrap_or(fallback).max(1);
    let mut order: Vec<usize> = (0..repos.len()).collect();
    // Heaviest first; equal weights keep list order (the spec breaks no tie: the
    // list does, and it is the same list everywhere).
    order.sort_by(|&a, &b| weight(&repos[b]).cmp(&weight(&repos[a])).then(a.cmp(&b)));
    let mut load = vec![0u64; count];
    let mut shards: Vec<Vec<usize>> = vec![Vec::new(); count];
    for i in order {
        let lightest = (0..count)
            .min_by_key(|&s| (load[s], shards[s].len(), s))
            .unwrap_or(0);
        load[lightest] += weight(&repos[i]);
        shards[lightest].push(i);
    }
    for s in &mut shards {
        s.sort_unstable();
    }
    shards
}

/// The repositories of one shard.
pub fn shard_of(repos: &[Repo], shard: Shard) -> Vec<Repo> {
    assign(repos, shard.count)
        .swap_remove(shard.index - 1)
        .into_iter()
        .map(|i| repos[i].clone())
        .collect()
}

/// `org plan`: prints the assignment.
pub fn run(opts: &PlanOptions, out: &mut dyn Write) -> Result<()> {
    let mut list = repos::read_list(&opts.repos)?;
    repos::measure(&mut list);
    let count = Shard::new(1, opts.shards)?.count;
    let plan = repos::plan_id(&list);
    let shards = assign(&list, count);
    match opts.format {
        PlanFormat::GithubMatrix => {
            let include: Vec<_> = shards
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    json!({
                        "shard": Shard { index: i + 1, count }.to_string(),
                        "repositories": s.len(),
                        "bytes": s.iter().filter_map(|&r| list[r].size).sum::<u64>(),
                    })
                })
                .collect();
            serde_json::to_writer(&mut *out, &json!({"plan": plan, "include": include}))?;
            writeln!(out)?;
        }
        PlanFormat::Lines => {
            for (i, s) in shards.iter().enumerate() {
                for &r in s {
                    writeln!(
                        out,
                        "{}\t{}",
                        Shard {
                            index: i + 1,
                            count
                        },
                        crate::sanitize::sanitize(&list[r].name())
                    )?;
                }
            }
        }
    }
    out.flush()?;
    crate::messages::note(
        &opts.repos.display().to_string(),
        format!(
            "plan {plan}: {} repositor{} in {count} shard{}",
            list.len(),
            if list.len() == 1 { "y" } else { "ies" },
            if count == 1 { "" } else { "s" }
        ),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(i: usize, size: Option<u64>) -> Repo {
        Repo {
            spec: format!("/r{i}"),
            size,
        }
    }

    #[test]
    fn every_repository_once_and_balanced_by_count() {
        let list: Vec<Repo> = (0..13).map(|i| repo(i, None)).collect();
        let s = assign(&list, 4);
        let mut all: Vec<usize> = s.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..13).collect::<Vec<_>>());
        let sizes: Vec<usize> = s.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![4, 3, 3, 3]);
        assert_eq!(assign(&list, 4), s, "deterministic");
    }

    #[test]
    fn balanced_by_size() {
        let sizes = [100, 1, 1, 1, 50, 50, 1, 1];
        let list: Vec<Repo> = sizes
            .iter()
            .enumerate()
            .map(|(i, &z)| repo(i, Some(z)))
            .collect();
        let s = assign(&list, 2);
        let load: Vec<u64> = s
            .iter()
            .map(|v| v.iter().map(|&i| sizes[i]).sum())
            .collect();
        assert_eq!(load, vec![103, 102]);
        // More shards than repositories: the rest are empty, none is lost.
        assert_eq!(assign(&list[..2], 3).iter().map(Vec::len).sum::<usize>(), 2);
    }
}
