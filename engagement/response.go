package engagement

// Response times (kpi.go) need, per top-level post, who wrote it and when
// someone else first answered it (a thread reply or a reaction). The
// counting scripts record both in the same call that counts the event, so
// a message or reaction still costs one script call, in two hashes
// (ns:{c}:w:<week>:posts and :answers, keys.go).
//
// A post's first thread reply by staff is kept too, in field "s:<post ts>"
// of the answers hash. Whether a reply is staff's is known in Go
// (Community.IsStaff) and passed in the argument that already says whether
// the reply may answer, so the staff figures cost no key, argument or round
// trip more; the script reads and writes both fields at once (HMGET, HSET),
// for staff replies only.
//
// A post's first thread reply by anyone but its author is kept too, with
// who wrote it ("r:<post ts>" and "h:<post ts>"): the helpers the digest
// offers for the spotlight (thanks.go). The counting call already reads the
// answers hash in one HMGET and writes it in one HSET, so this costs two
// fields more in those, no command more.
//
// Both hashes belong to the post's week and expire with it. Only timestamps
// and user IDs are stored, never text; the author is a hash value, so a
// generic forget finds and deletes it. Recording is idempotent without a
// dedupe marker of its own: a redelivered post sets the same field to the
// same author (HSETNX) and a redelivered answer can only keep the earliest
// time; TestResponseFeatureIdempotent checks redeliveries. An answer may
// arrive before its post, so it is stored even when the post is unknown;
// answers to thread replies are stored too and simply never read.
