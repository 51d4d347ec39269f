//! The virtual Mynaportal app's wording (labels quoted from the seeds where they exist). The harness never
//! uses these constants: it reads its own copy of the labels from the flow data.

/// Android package of the app.
pub const PACKAGE: &str = "jp.go.digital.mynaportal";
/// Launcher activity (short form).
pub const ACTIVITY: &str = ".MainActivity";
/// Log tag.
pub const TAG: &str = "Mynaportal";

pub const TITLE: &str = "マイナポータル";
pub const MENU: &str = "メニュー";
pub const MY_PAGE: &str = "マイページ";
pub const SETTINGS: &str = "スマホ用電子証明書などの各種設定";
pub const SETTINGS_TITLE: &str = "各種設定";
pub const APPLY_BANNER: &str = "スマホ用電子証明書を申請する";
pub const APPLY_TITLE: &str = "スマホ用電子証明書の申請";
pub const APPLY: &str = "申請する";
pub const UNSUPPORTED: &str = "この機種はスマホ用電子証明書に対応していません";
pub const SUSPENSION_HELP: &str =
    "紛失・盗難時の一時利用停止はマイナンバー総合フリーダイヤルへ（見つかった時の手続もこちら）";
pub const CARD_PW_PROMPT: &str =
    "マイナンバーカードの署名用電子証明書のパスワード（6〜16桁の英数字）を入力してください";
pub const NEXT: &str = "次へ";
pub const TERMS_TITLE: &str = "利用規約";
pub const AGREE: &str = "利用規約に同意";
pub const CARD_READ_PROMPT: &str = "マイナンバーカードをスマートフォンにかざしてください";
pub const READ_START: &str = "読み取り開始";
pub const AUTH_PIN_PROMPT: &str = "スマホ用利用者証明用パスワード（数字4桁）を2回入力してください";
pub const SIGN_PW_PROMPT: &str = "スマホ用署名用パスワード（6〜16桁の英数字）を2回入力してください";
pub const AUTH_METHOD_TITLE: &str = "認証方法の設定";
pub const BIOMETRICS: &str = "生体認証などを利用登録する";
pub const SKIP: &str = "スキップ";
pub const CONFIRM_TITLE: &str = "申請内容の確認";
pub const SUBMIT: &str = "申請を送信する";
pub const APPLY_DONE: &str = "申請が完了しました";
pub const NOTIFICATION: &str = "【通知】スマホ用電子証明書が発行されました。登録してください";
pub const REGISTER: &str = "登録する";
pub const REGISTER_DONE: &str = "スマホ用電子証明書の登録が完了しました";
pub const CLOSE: &str = "閉じる";
pub const LOGIN_PROMPT: &str = "利用者証明用パスワード（数字4桁）を入力してください";
pub const LOGIN: &str = "ログイン";
pub const MY_PAGE_HEADER: &str = "マイページ（ログイン中）";
pub const STATUS_OK: &str = "スマホ用電子証明書：利用可能";
pub const STATUS_NONE: &str = "スマホ用電子証明書：未登録";
pub const SUSPENDED: &str = "スマホ用電子証明書は一時利用停止中です";
pub const STALE_DELETED: &str = "この端末に残っていた以前のスマホ用電子証明書を削除しました";
pub const REVOKE_MENU: &str = "スマホ用電子証明書の失効";
pub const REVOKE: &str = "失効";
pub const REVOKE_CHOOSE: &str = "失効する電子証明書を選んでください";
pub const SIGN_CERT: &str = "署名用電子証明書";
pub const AUTH_CERT: &str = "利用者証明用電子証明書";
pub const BEGIN: &str = "はじめる";
pub const REVOKE_PW_PROMPT: &str = "スマホ用署名用パスワードを入力してください";
pub const REVOKE_DO: &str = "失効する";
pub const REVOKE_DONE: &str = "失効完了";
pub const REVOKE_OTHER: &str = "他の端末の電子証明書を失効する";
pub const REVOKE_OTHER_PROMPT: &str = "他の端末のスマホ用電子証明書を失効します。マイナンバーカードの署名用電子証明書のパスワードを入力してください";
pub const REVOKE_OTHER_DONE: &str = "他の端末の電子証明書を失効しました";
pub const HANDOVER_WARNING: &str =
    "機種変更に伴う引継ぎ：申請すると以前の端末のスマホ用電子証明書は失効します";

// ---- error texts
pub const ERR_NETWORK: &str = "通信エラーが発生しました。ネットワークに接続してやり直してください";
pub const ERR_NFC_OFF: &str = "NFCがオフです。設定からNFCをオンにしてください";
pub const ERR_NO_CARD: &str =
    "マイナンバーカードを読み取れませんでした。カードをかざし直してください";
pub const ERR_LOCKED: &str = "パスワードがロックされています";
pub const ERR_FORMAT: &str = "パスワードの形式が正しくありません";
pub const ERR_MISMATCH: &str = "入力したパスワードが一致しません";
pub const ERR_NOT_REGISTERED: &str = "スマホ用電子証明書が登録されていません";
pub const ERR_NOT_SUPPORTED: &str = "この機種ではご利用いただけません";
pub const ERR_NO_SELECTION: &str = "電子証明書が選択されていません";
pub const ERR_NOTHING_TO_REGISTER: &str = "登録できる電子証明書はありません";

/// `パスワードが違います。残りN回`
pub fn err_wrong_password(retries: u8) -> String {
    format!("パスワードが違います。残り{retries}回")
}

/// `申請を受け付けできませんでした（…）`
pub fn err_refused(reason: &str) -> String {
    format!("申請を受け付けできませんでした（{reason}）")
}
