//! One scenario, both stores: `contract!(scenario, ...)` runs each `async fn scenario<B:
//! Backend>(backend: B)` once on the embedded store and once on DynamoDB (moto).

macro_rules! contract {
    ($($scenario:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(crate::helpers::Embedded::start().await).await;
                }
            )*
        }
        mod dynamodb_on_moto {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(crate::helpers::Dynamo::start().await).await;
                }
            )*
        }
    };
}
