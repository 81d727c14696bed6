// Package mockbank simulates the bank side of a VietQR payment — the
// payer's bank, NAPAS and the payee's bank in one process — with a
// SePay/Casso-style notification service that tells the platform about
// every movement on the accounts it watches. It also holds the platform's
// adapter for it (Provider, implementing provider.Provider).
//
// The simulator behaves like the real services, not like a happy path:
// notifications are signed, retried with exponential backoff until the
// platform answers 2xx, and Faults add duplicates, delays, reordering,
// lost attempts, wrong signatures and mangled transfer content, so the
// platform's exactly-once confirmation path is tested against realistic
// traffic. A statement API lets reconciliation recover whatever the
// webhooks missed.
//
// # Webhook
//
//	POST {PlatformURL}/v1/webhooks/mockbank
//	Content-Type: application/json
//	X-Mockbank-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
//	{"id":1795327088000000,"gateway":"MBBank","transactionDate":"2026-11-22 14:03:05",
//	 "accountNumber":"0999888777","subAccount":null,"code":null,"content":"M4K3Q8ZP2A Rau cai",
//	 "transferType":"in","transferAmount":150000,"accumulated":0,"referenceCode":"MBVCB.7088000000",
//	 "description":"M4K3Q8ZP2A Rau cai.CT tu 0101000001 NGUYEN VAN AN toi 0999888777"}
//
// transactionDate is Asia/Ho_Chi_Minh local time. Each attempt is signed
// afresh with the time it is sent (so a retry an hour later still passes
// a 5-minute window); the body never changes. Refunds debit the payee and
// are notified too, with transferType "out" (unless Config.InOnly).
//
// # Ids
//
// Movement ids increase by one from Config.FirstID, by default the start
// time in Unix seconds × 1,000,000: a restarted simulator never reuses an
// id the platform has already recorded (it would be dropped as a
// duplicate), and ids stay exact in JavaScript.
package mockbank
