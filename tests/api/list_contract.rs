//! ListLifecycleExecutions on both stores: the same order, pages, tokens and refusals, through
//! the domain's own request, token and page (docs/API.md, "ListLifecycleExecutions").

use cancel_lifecycle_execution::domain::list::{ListRefusal, ListRequest, Page};
use cancel_lifecycle_execution::domain::ImageBuilderArn;
use cancel_lifecycle_execution::store::CancelStore;

use crate::helpers::{account, new_id, Backend, ACCOUNT, OTHER_ACCOUNT};

const POLICY: &str = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/keep-5";
const OTHER_POLICY: &str = "arn:aws:imagebuilder:us-east-1:111122223333:lifecycle-policy/other";

fn list_request(max_results: u8, next_token: Option<String>) -> ListRequest {
    ListRequest {
        account_id: account(ACCOUNT),
        resource_arn: ImageBuilderArn::try_from(POLICY.to_owned()).unwrap(),
        max_results,
        next_token,
    }
}

/// One page as the service answers it: the ids shown, and the next token.
async fn page<B: Backend>(
    backend: &B,
    max_results: u8,
    token: Option<String>,
) -> (Vec<String>, Option<String>) {
    let request = list_request(max_results, token);
    let page = match request.query().expect("a valid request") {
        Some(query) => backend.store().list_executions(&query).await.unwrap(),
        None => Page::default(),
    };
    let answer: serde_json::Value = serde_json::from_str(&request.view(&page)).unwrap();
    let ids = answer["lifecycleExecutions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["lifecycleExecutionId"].as_str().unwrap().to_owned())
        .collect();
    (ids, answer["nextToken"].as_str().map(str::to_owned))
}

/// Every page to the end; `between` runs after each page but the last.
async fn all_pages<B: Backend>(backend: &B, max_results: u8) -> (Vec<String>, usize) {
    let (mut ids, mut pages) = (Vec::new(), 0);
    let mut token = None;
    loop {
        let (shown, next) = page(backend, max_results, token).await;
        ids.extend(shown);
        pages += 1;
        match next {
            Some(next) => token = Some(next),
            None => return (ids, pages),
        }
    }
}

/// Executions of the caller's policy at these start times (decimals), in the order put; and
/// what must never show: another policy's, another account's under the same ARN, one without a
/// start time.
async fn seed<B: Backend>(backend: &B, starts: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for start in starts {
        let id = new_id();
        backend
            .put_policy_execution(&id, ACCOUNT, POLICY, start, "IN_PROGRESS")
            .await;
        ids.push(id);
    }
    backend
        .put_policy_execution(&new_id(), ACCOUNT, OTHER_POLICY, "1700000500", "PENDING")
        .await;
    backend
        .put_policy_execution(&new_id(), OTHER_ACCOUNT, POLICY, "1700000500", "PENDING")
        .await;
    backend.put_execution(&new_id(), ACCOUNT, "PENDING").await;
    ids
}

/// The ids in the index's order: newest start first, ties by id, both descending.
fn index_order(ids: &[String], starts: &[&str]) -> Vec<String> {
    let mut pairs: Vec<(f64, &String)> = starts
        .iter()
        .map(|s| s.parse().unwrap())
        .zip(ids.iter())
        .collect();
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(a.1)));
    pairs.into_iter().map(|(_, id)| id.clone()).collect()
}

const STARTS: [&str; 7] = [
    "1700000100",
    "1700000300",
    "1700000200",
    "1700000200",
    "1700000200.5",
    "1700000050",
    "1700000300",
];

async fn a_policys_executions_are_listed_newest_first_ties_by_id_in_pages_to_the_end<B: Backend>(
    backend: B,
) {
    let ids = seed(&backend, &STARTS).await;
    let expected = index_order(&ids, &STARTS);

    for (max_results, pages) in [(1, 7), (2, 4), (3, 3), (7, 1), (25, 1), (100, 1)] {
        let (listed, counted) = all_pages(&backend, max_results).await;
        assert_eq!(listed, expected, "maxResults {max_results}");
        assert_eq!(
            counted, pages,
            "maxResults {max_results}: a token only when more follow"
        );
    }
}

async fn paging_lists_every_execution_of_the_first_page_once_while_others_come_and_are_cancelled<
    B: Backend,
>(
    backend: B,
) {
    let ids = seed(&backend, &STARTS).await;
    let expected = index_order(&ids, &STARTS);

    let (mut listed, mut token) = page(&backend, 2, None).await;
    let mut round = 0;
    while let Some(next) = token {
        // Between pages: a newer execution starts, and one already listed is cancelled.
        let newer = format!("17000010{round:02}");
        backend
            .put_policy_execution(&new_id(), ACCOUNT, POLICY, &newer, "PENDING")
            .await;
        backend
            .cancel(&format!("between-{round}"), &listed[listed.len() - 1])
            .await
            .unwrap();
        round += 1;
        let (shown, after) = page(&backend, 2, Some(next)).await;
        listed.extend(shown);
        token = after;
    }

    assert_eq!(
        listed, expected,
        "each execution of the first page exactly once"
    );
}

async fn a_token_is_refused_for_another_policy_or_account_and_checked_before_anything_else<
    B: Backend,
>(
    backend: B,
) {
    seed(&backend, &STARTS).await;
    let (_, token) = page(&backend, 2, None).await;
    let token = token.expect("more follow");
    let arn = |text: &str| ImageBuilderArn::try_from(text.to_owned()).unwrap();

    for (caller, resource) in [
        (ACCOUNT, OTHER_POLICY),
        (OTHER_ACCOUNT, POLICY),
        (
            OTHER_ACCOUNT,
            "arn:aws:imagebuilder:us-east-1:444455556666:lifecycle-policy/keep-5",
        ),
        (
            ACCOUNT,
            "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/keep-5",
        ),
    ] {
        let request = ListRequest {
            account_id: account(caller),
            resource_arn: arn(resource),
            max_results: 2,
            next_token: Some(token.clone()),
        };
        assert!(
            matches!(request.query(), Err(ListRefusal::InvalidToken(_))),
            "{caller} {resource}"
        );
    }
}

async fn the_callers_policy_without_executions_is_an_empty_list<B: Backend>(backend: B) {
    seed(&backend, &[]).await;

    let (listed, token) = page(&backend, 25, None).await;

    assert!(listed.is_empty());
    assert_eq!(token, None);
}

contract!(
    a_policys_executions_are_listed_newest_first_ties_by_id_in_pages_to_the_end,
    paging_lists_every_execution_of_the_first_page_once_while_others_come_and_are_cancelled,
    a_token_is_refused_for_another_policy_or_account_and_checked_before_anything_else,
    the_callers_policy_without_executions_is_an_empty_list,
);

/// Tokens are the same on both stores: the same data gives the same pages and tokens.
#[tokio::test]
async fn both_stores_issue_the_same_tokens_for_the_same_executions() {
    let embedded = crate::helpers::Embedded::start().await;
    let dynamo = crate::helpers::Dynamo::start().await;
    let mut tokens = Vec::new();
    let ids: Vec<String> = STARTS.iter().map(|_| new_id()).collect();
    for start_and_id in STARTS.iter().zip(&ids) {
        let (start, id) = start_and_id;
        embedded
            .put_policy_execution(id, ACCOUNT, POLICY, start, "PENDING")
            .await;
        dynamo
            .put_policy_execution(id, ACCOUNT, POLICY, start, "PENDING")
            .await;
    }
    let mut token = (None, None);
    loop {
        let (on_embedded, next_embedded) = page(&embedded, 3, token.0).await;
        let (on_dynamo, next_dynamo) = page(&dynamo, 3, token.1).await;
        assert_eq!(on_embedded, on_dynamo);
        assert_eq!(next_embedded, next_dynamo);
        tokens.push(next_embedded.clone());
        if next_embedded.is_none() {
            break;
        }
        token = (next_embedded, next_dynamo);
    }
    assert_eq!(tokens.len(), 3, "{tokens:?}");
}
