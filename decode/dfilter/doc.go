// Package dfilter is Wireshark's display-filter language
// (wireshark-filter(4)) as tshark 4.0 applies it with -Y: wiretap's -Y,
// the viewer's filter bar and its filter search. A filter such as
//
//	tcp.port == 80 && http.request.method in {"GET", "POST"}
//
// is compiled once (Compile) and then matched against dissected packets
// (decode.Packet) with (*Filter).Match. A filter that does not compile is
// an *Error saying what is wrong, where (column) and, for a misspelt
// name, what was probably meant.
//
// It has the stages of Wireshark's epan/dfilter/, one file each:
//
//   - lex.go, the scanner (scanner.l): punctuation and operators, quoted
//     and raw strings, character constants, slices and "unparsed" words,
//     which may be field names, keywords or literals.
//   - parse.go, the parser (grammar.lemon): precedence, comparisons, sets,
//     slices, #layer, functions and bitwise and, into a tree of nodes.
//   - check.go, the semantic checks (semcheck.c), made as the parser
//     builds each node: names against decode's field registry
//     (decode.LookupField; decode.FieldNames for "did you mean"),
//     operators against the types of their operands, literals parsed as
//     values of the other side's type, regular expressions compiled.
//   - eval.go, the evaluator: Match collects the fields the filter names in
//     one walk of the packet's tree and evaluates the nodes over their
//     values (value.go: what the checker makes of literals and the
//     evaluator of fields).
//
// filter.go holds the API: Compile, Filter and Error.
//
// Semantics kept from tshark 4.0 (each checked against it on decode's oracle
// captures, see oracle_test.go):
//   - A field that occurs several times (tcp.port and ip.addr are each
//     added twice) is a set of values: "==", "<" … "contains", "matches"
//     and "in" hold if any value satisfies them; "!=" holds if every value
//     differs ("all_ne"); "!==" / "~=" is "any_ne", "===" is "all_eq". An
//     absent field fails every comparison, "!=" included.
//   - "and" binds tighter than "or", "not" tighter than both. (xor / ^^ is
//     accepted as Wireshark 4.2 does, between "or" and "and"; 4.0 rejects
//     it.)
//   - Unquoted words are field names when they name one, literals
//     otherwise; a literal is parsed for the type of the other side.
//   - "matches" is case-insensitive unless the pattern says (?-i), and
//     matches bytes, not UTF-8 characters (PCRE2 in non-UTF mode).
//   - A protocol compared with "==" or sliced is the bytes its tree item
//     covers; with "contains" and "matches" it is everything from its
//     start to the end of the data its dissector was given (tcp includes
//     the payload, eth the trailer; ip and what it carries stop at the IP
//     total length).
//   - A slice beyond the end of a value yields what it got so far (often
//     nothing) rather than failing the packet: frame[100:2] != 00:00 holds
//     for a short frame.
//   - Set members are separated by commas (4.0); whitespace-separated
//     members as in Wireshark 3.x and 4.2+ are accepted too.
package dfilter
