package engagement

// Response times (kpi.go) need, per top-level post, who wrote it and when
// someone else first answered it (a thread reply or a reaction). The
// counting scripts record both in the same call that counts the event, so
// a message or reaction still costs one script call, in two hashes
// (ns:{c}:w:<week>:posts and :answers, keys.go).
//
// Both hashes belong to the post's week and expire with it. Only timestamps
// and user IDs are stored, never text; the author is a hash value, so a
// generic forget finds and deletes it. Recording is idempotent without a
// dedupe marker of its own: a redelivered post sets the same field to the
// same author (HSETNX) and a redelivered answer can only keep the earliest
// time; TestResponseFeatureIdempotent checks redeliveries. An answer may
// arrive before its post, so it is stored even when the post is unknown;
// answers to thread replies are stored too and simply never read.
