// fp8sa_host_protocol.vh: the host-link protocol codes (docs/fpga.md "Frames",
// "Commands", "Status codes"), the one table both sides of the link read.
//
// RTL: include inside the link's modules (`include "fp8sa_host_protocol.vh").
// Host: host/CMakeLists.txt reads the `localparam` lines below and generates
// fp8sa/host/protocol_codes.hpp, so the C++ host never spells a code itself.
// The protocol is an interface, not arithmetic: sharing it does not couple
// the model to the RTL (docs/architecture.md).
//
// Format, kept so that a line-oriented parser reads it: one localparam per
// line, `localparam [7:0] NAME = 8'hXX;` or `localparam integer NAME = N;`,
// NAME in CamelCase with the prefix of its group (Sync, Cmd, St, Proto).
// No include guard: see fp8sa_pkg.vh.
/* verilator lint_off UNUSEDPARAM */

// Frame sync bytes.
localparam [7:0] SyncReq = 8'hA5;
localparam [7:0] SyncRep = 8'h5A;

// Commands (request CMD byte).
localparam [7:0] CmdInfo       = 8'h01;
localparam [7:0] CmdConfig     = 8'h02;
localparam [7:0] CmdArrayReset = 8'h03;
localparam [7:0] CmdLoadA      = 8'h10;
localparam [7:0] CmdLoadB      = 8'h11;
localparam [7:0] CmdLoadC      = 8'h12;
localparam [7:0] CmdStart      = 8'h20;
localparam [7:0] CmdRead       = 8'h21;

// Reply status codes (the first that applies, docs/fpga.md).
localparam [7:0] StOk          = 8'h00;
localparam [7:0] StBadCrc      = 8'h01;
localparam [7:0] StUnknown     = 8'h02;
localparam [7:0] StWrongState  = 8'h03;
localparam [7:0] StBadLength   = 8'h04;
localparam [7:0] StBadValue    = 8'h05;
localparam [7:0] StTimeout     = 8'h06;

// Fixed payload lengths and the protocol version INFO reports.
localparam integer ProtoInfoLen      = 32;
localparam integer ProtoCfgLen       = 9;
localparam integer ProtoVersionMajor = 1;
// 1.1: INFO reports the PE (byte 23 bits 3-7, byte 31).
localparam integer ProtoVersionMinor = 1;

/* verilator lint_on UNUSEDPARAM */
