// The peer in the side-by-side benchmark: @top-gg/sdk's Webhook listener on express 4, as
// its README shows it. It compares a static Authorization header and stores nothing.
// Usage: PEER_PORT=8090 PEER_AUTH=secret node server.js
const express = require("express");
const { Webhook } = require("@top-gg/sdk");

const port = Number(process.env.PEER_PORT || 8090);
const webhook = new Webhook(process.env.PEER_AUTH || "peer-auth");
const app = express();
let votes = 0;

app.post("/dblwebhook", webhook.listener(() => { votes += 1; }));
app.get("/votes", (_req, res) => res.json({ votes }));
app.listen(port, "127.0.0.1", () => console.log(`peer listening on 127.0.0.1:${port}`));
