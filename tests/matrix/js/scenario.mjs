// matrix-js-sdk (the client library under Element Web) against a running
// messenger: two users register and log in through the SDK, become friends
// over /v1, one invites the other into a private group, who sees the invite
// in sync and joins; a direct room between them is joined at once; messages cross through the SDK's sync loop, typing and
// read receipts reach the other side, a third client pages history back with
// scrollback, and a redaction is seen by both. With --e2ee the same two open
// an encrypted room with the SDK's Rust crypto (keys upload/query/claim,
// to-device, device lists) and read each other's messages, then alice
// bootstraps cross-signing and a second device of hers sees the first
// cross-signed.
//
//   node scenario.mjs --base http://127.0.0.1:8080 --sdk <dir with node_modules> [--e2ee]
//
// Every wait polls the SDK's own view with a deadline; the first failed check
// ends the run with exit status 1 and says what was expected.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    sdk: { type: "string" },
    e2ee: { type: "boolean", default: false },
    // A second homeserver federating with the first (--base): the encrypted
    // room across the two instead of the rest.
    base2: { type: "string" },
    prefix: { type: "string", default: "js" },
  },
});
if (!args.base || !args.sdk) {
  console.error("usage: node scenario.mjs --base URL --sdk DIR [--e2ee]");
  process.exit(2);
}
const moduleUrl = (path) => pathToFileURL(join(args.sdk, "node_modules", "matrix-js-sdk", "lib", path)).href;
const sdk = await import(moduleUrl("index.js"));
const { logger } = await import(moduleUrl("logger.js"));
logger.setLevel?.("warn");

const PASSWORD = "js-sdk's long password";
const WAIT_MS = 30_000;

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

async function waitFor(what, probe, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function http(method, path, { token, body } = {}) {
  const response = await fetch(args.base + path, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

// Registers through the SDK (user-interactive auth, m.login.dummy), then logs
// in through the SDK with a fresh device; returns a client with that login.
async function newUser(localpart, deviceName, baseUrl = args.base) {
  const anonymous = sdk.createClient({ baseUrl });
  let registered;
  try {
    registered = await anonymous.registerRequest({
      username: localpart,
      password: PASSWORD,
      initial_device_display_name: `${deviceName} (registration)`,
      auth: { type: "m.login.dummy" },
    });
  } catch (error) {
    // A server may first answer 401 with the flows and a UIA session.
    const session = error?.data?.session;
    check(error?.httpStatus === 401 && session, `register ${localpart}: ${error}`);
    registered = await anonymous.registerRequest({
      username: localpart,
      password: PASSWORD,
      auth: { type: "m.login.dummy", session },
    });
  }
  check(registered.user_id?.startsWith(`@${localpart}:`), `registered user id ${registered.user_id}`);
  const login = await anonymous.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: localpart },
    password: PASSWORD,
    initial_device_display_name: deviceName,
  });
  check(login.access_token && login.device_id, `login of ${localpart}`);
  return login;
}

function clientFor(login, options = {}, baseUrl = args.base) {
  return sdk.createClient({
    baseUrl,
    accessToken: login.access_token,
    userId: login.user_id,
    deviceId: login.device_id,
    ...options,
  });
}

async function started(client, startOptions = {}) {
  await client.startClient({ initialSyncLimit: 20, ...startOptions });
  await waitFor(`${client.getUserId()}'s first sync`, () => client.isInitialSyncComplete());
  return client;
}

// The same account over /v1: its user id (UUID) and a /v1 token.
async function v1Login(localpart) {
  const login = await http("POST", "/v1/auth/login", { body: { login: localpart, password: PASSWORD } });
  check(login.status === 200, `/v1 login of ${localpart}: ${login.status} ${JSON.stringify(login.body)}`);
  const me = await http("GET", "/v1/me", { token: login.body.access_token });
  check(me.status === 200, `/v1/me: ${me.status}`);
  return { token: login.body.access_token, id: me.body.user_id };
}

async function befriend(aliceV1, bobV1) {
  // contact-service learns of new users from user.created on the bus: a
  // user registered a moment ago may still be unknown to it (404).
  const asked = await waitFor("the contact request", async () => {
    const got = await http("POST", "/v1/contacts/requests", { token: aliceV1.token, body: { user_id: bobV1.id } });
    return got.status === 404 ? null : got;
  });
  check(asked.status === 201 || asked.status === 200, `contact request: ${asked.status}`);
  const accepted = await http("POST", `/v1/contacts/requests/${aliceV1.id}/accept`, { token: bobV1.token });
  check(accepted.status === 200, `accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
}

const bodies = (room) =>
  room
    .getLiveTimeline()
    .getEvents()
    .filter((event) => event.getType() === "m.room.message")
    .map((event) => event.getContent().body);

async function chat(prefix) {
  const aliceLogin = await newUser(`${prefix}alice`, "js alice");
  const bobLogin = await newUser(`${prefix}bob`, "js bob");
  await befriend(await v1Login(`${prefix}alice`), await v1Login(`${prefix}bob`));

  const alice = await started(clientFor(aliceLogin));
  const bob = await started(clientFor(bobLogin));
  const clients = [alice, bob];
  try {
    // A private group inviting bob: bob sees the invite through sync and joins.
    const { room_id: groupId } = await alice.createRoom({
      preset: "private_chat",
      name: "js group",
      invite: [bobLogin.user_id],
    });
    await waitFor("bob's group invite in sync", () => bob.getRoom(groupId)?.getMyMembership() === "invite");
    await bob.joinRoom(groupId);
    await waitFor("bob's group join seen by alice", () =>
      alice.getRoom(groupId)?.getMember(bobLogin.user_id)?.membership === "join");
    await waitFor("the group joined at bob", () => bob.getRoom(groupId)?.getMyMembership() === "join");

    // A direct room with a friend: messenger joins both at once (the /v1
    // rule for 1:1 chats between friends), so bob's sync shows it joined,
    // with alice's is_direct invite in its timeline and in bob's m.direct.
    const { room_id: roomId } = await alice.createRoom({
      preset: "trusted_private_chat",
      is_direct: true,
      invite: [bobLogin.user_id],
    });
    const bobRoom = await waitFor("the direct room joined at bob", () => {
      const room = bob.getRoom(roomId);
      return room?.getMyMembership() === "join" && room;
    });
    const invite = bobRoom
      .getLiveTimeline()
      .getEvents()
      .find((e) => e.getType() === "m.room.member" && e.getStateKey() === bobLogin.user_id &&
        e.getContent().membership === "invite");
    check(invite?.getSender() === aliceLogin.user_id && invite.getContent().is_direct === true,
      "alice's is_direct invite is in bob's timeline");
    check(bobRoom.guessDMUserId() === aliceLogin.user_id, `bob's DM partner: ${bobRoom.guessDMUserId()}`);
    await waitFor("the room in bob's m.direct", () =>
      bob.getAccountData("m.direct")?.getContent()?.[aliceLogin.user_id]?.includes(roomId));
    await bob.joinRoom(roomId);  // accepting again is a no-op, as in Matrix
    const aliceRoom = await waitFor("bob joined, seen by alice", () => {
      const room = alice.getRoom(roomId);
      return room?.getMember(bobLogin.user_id)?.membership === "join" && room;
    });

    // Messages both ways through the sync loops.
    await alice.sendTextMessage(roomId, "hello from alice");
    await waitFor("alice's message at bob", () => bodies(bobRoom).includes("hello from alice"));
    const { event_id: bobEventId } = await bob.sendTextMessage(roomId, "hello from bob");
    await waitFor("bob's message at alice", () => bodies(aliceRoom).includes("hello from bob"));

    // Typing reaches the other side, and stops.
    await alice.sendTyping(roomId, true, 10_000);
    await waitFor("alice typing at bob", () => bobRoom.getMember(aliceLogin.user_id)?.typing === true);
    await alice.sendTyping(roomId, false, 0);
    await waitFor("alice stopped typing at bob", () => bobRoom.getMember(aliceLogin.user_id)?.typing === false);

    // Alice's read receipt on bob's message reaches bob.
    const bobEventAtAlice = await waitFor("bob's event at alice", () => aliceRoom.findEventById(bobEventId));
    await alice.sendReadReceipt(bobEventAtAlice);
    await waitFor("alice's receipt at bob", () => bobRoom.hasUserReadEvent(aliceLogin.user_id, bobEventId));

    // History: 30 more messages; a new device with a short first sync pages
    // back with scrollback until the first message.
    for (let i = 0; i < 30; i++) await alice.sendTextMessage(roomId, `history ${i}`);
    await waitFor("the history at bob", () => bodies(bobRoom).includes("history 29"));
    const bobPhone = await started(clientFor(await loginAgain(`${prefix}bob`, "js bob phone")), {
      initialSyncLimit: 5,
    });
    clients.push(bobPhone);
    const phoneRoom = await waitFor("the room on bob's phone", () => bobPhone.getRoom(roomId));
    check(!bodies(phoneRoom).includes("hello from alice"), "a short first sync does not hold everything");
    for (let page = 0; page < 20 && !bodies(phoneRoom).includes("hello from alice"); page++) {
      await bobPhone.scrollback(phoneRoom, 10);
    }
    const paged = bodies(phoneRoom);
    check(paged.includes("hello from alice"), `scrollback reached the first message: ${paged.length} messages`);
    for (let i = 0; i < 30; i++) check(paged.includes(`history ${i}`), `history ${i} paged back`);
    check(new Set(paged).size === paged.length, "no message twice after scrollback");

    // A redaction is seen by both.
    const { event_id: doomedId } = await alice.sendTextMessage(roomId, "to be redacted");
    await waitFor("the doomed message at bob", () => bobRoom.findEventById(doomedId));
    await alice.redactEvent(roomId, doomedId);
    for (const [name, room] of [["alice", aliceRoom], ["bob", bobRoom]]) {
      await waitFor(`the redaction at ${name}`, () => room.findEventById(doomedId)?.isRedacted());
      check(room.findEventById(doomedId).getContent().body === undefined, `${name}: redacted content is gone`);
    }
    console.log(`chat: ok (room ${roomId}, ${paged.length} messages paged back)`);
    return { aliceLogin, bobLogin, roomId };
  } finally {
    for (const client of clients) client.stopClient();
  }
}

async function loginAgain(localpart, deviceName) {
  const anonymous = sdk.createClient({ baseUrl: args.base });
  return anonymous.loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: localpart },
    password: PASSWORD,
    initial_device_display_name: deviceName,
  });
}

const ENCRYPTED = [
  { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
];

// The clients with the Rust crypto, each after its first sync.
async function startedWithCrypto(clients) {
  for (const client of clients) await client.initRustCrypto({ useIndexedDB: false });
  for (const client of clients) await started(client);
}

// A message each way in an encrypted room, which the other side decrypts.
async function exchange(alice, aliceRoom, bob, bobRoom) {
  check(await alice.getCrypto().isEncryptionEnabledInRoom(aliceRoom.roomId),
    "the room is encrypted for alice");
  const decrypted = (client, room, text) => async () => {
    for (const event of room.getLiveTimeline().getEvents()) {
      if (event.isEncrypted()) await client.decryptEventIfNeeded(event);
      if (event.isEncrypted() && event.getClearContent()?.body === text) return true;
    }
    return false;
  };
  await alice.sendTextMessage(aliceRoom.roomId, "secret from alice");
  await waitFor("bob decrypts alice's message", decrypted(bob, bobRoom, "secret from alice"), 60_000);
  await bob.sendTextMessage(bobRoom.roomId, "secret from bob");
  await waitFor("alice decrypts bob's message", decrypted(alice, aliceRoom, "secret from bob"), 60_000);
}

// alice on --base and bob on --base2 with the Rust crypto: bob joins alice's
// public encrypted room over federation, then a message each way (keys
// queried and claimed across the servers, room keys as to-device EDUs).
async function encryptedAcross(prefix) {
  const alice = clientFor(await newUser(`${prefix}alice`, "js alice hs1"));
  const bob = clientFor(await newUser(`${prefix}bob`, "js bob hs2", args.base2), {}, args.base2);
  const clients = [alice, bob];
  try {
    await startedWithCrypto(clients);
    const { room_id: roomId } = await alice.createRoom({
      preset: "public_chat",
      initial_state: ENCRYPTED,
    });
    await bob.joinRoom(roomId, { viaServers: [alice.getUserId().split(":").slice(1).join(":")] });
    const aliceRoom = await waitFor("bob's join seen by alice", () => {
      const room = alice.getRoom(roomId);
      return room?.getMember(bob.getUserId())?.membership === "join" && room;
    });
    const bobRoom = await waitFor("the room at bob", () => bob.getRoom(roomId));
    await exchange(alice, aliceRoom, bob, bobRoom);
    console.log(`e2ee across servers: ok (room ${roomId})`);
  } finally {
    for (const client of clients) client.stopClient();
  }
}

// Cross-signing (issue 14): alice bootstraps it (keys/device_signing/upload
// with the password as user-interactive auth, then keys/signatures/upload);
// bob, her room-mate, sees her cross-signing keys, and a second device of
// alice sees the first one signed by its owner.
async function crossSigning(alice, bob) {
  const me = alice.getUserId();
  let asked = 0;
  await alice.getCrypto().bootstrapCrossSigning({
    setupNewCrossSigning: true,
    authUploadDeviceSigningKeys: async (makeRequest) => {
      asked += 1;
      await makeRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: me },
        password: PASSWORD,
      });
    },
  });
  check(asked === 1, `the SDK asked for user-interactive auth once (${asked})`);
  const status = await alice.getCrypto().getCrossSigningStatus();
  check(status.publicKeysOnDevice && status.privateKeysCachedLocally.masterKey,
    `alice's cross-signing status: ${JSON.stringify(status)}`);
  check(await alice.getCrypto().userHasCrossSigningKeys(me, true), "alice has cross-signing keys");
  await waitFor("bob sees alice's cross-signing keys",
    () => bob.getCrypto().userHasCrossSigningKeys(me, true));

  const second = clientFor(await loginAgain(me.slice(1).split(":")[0], "js alice second"));
  try {
    await startedWithCrypto([second]);
    await waitFor("alice's second device sees the first signed by its owner", async () => {
      await second.getCrypto().getUserDeviceInfo([me], true);
      const verification = await second.getCrypto().getDeviceVerificationStatus(me, alice.getDeviceId());
      return verification?.signedByOwner;
    });
  } finally {
    second.stopClient();
  }
}

// Both users on new devices with the Rust crypto: an encrypted room, and a
// message each way that the other decrypts.
async function encrypted(prefix) {
  const alice = clientFor(await loginAgain(`${prefix}alice`, "js alice crypto"));
  const bob = clientFor(await loginAgain(`${prefix}bob`, "js bob crypto"));
  const clients = [alice, bob];
  try {
    await startedWithCrypto(clients);
    // A private group: the pair's direct room exists already and is not encrypted.
    const { room_id: roomId } = await alice.createRoom({
      preset: "private_chat",
      invite: [bob.getUserId()],
      initial_state: ENCRYPTED,
    });
    await waitFor("bob's encrypted invite", () => bob.getRoom(roomId)?.getMyMembership() === "invite");
    await bob.joinRoom(roomId);
    const aliceRoom = await waitFor("bob joined, seen by alice", () => {
      const room = alice.getRoom(roomId);
      return room?.getMember(bob.getUserId())?.membership === "join" && room;
    });
    await exchange(alice, aliceRoom, bob, bob.getRoom(roomId));
    console.log(`e2ee: ok (room ${roomId})`);
    await crossSigning(alice, bob);
    console.log("cross-signing: ok");
  } finally {
    for (const client of clients) client.stopClient();
  }
}

try {
  if (args.base2) {
    await encryptedAcross(args.prefix);
  } else {
    await chat(args.prefix);
    if (args.e2ee) await encrypted(args.prefix);
  }
  console.log("matrix-js-sdk scenario: all checks passed");
  process.exit(0);
} catch (error) {
  console.error(`matrix-js-sdk scenario FAILED: ${error?.stack ?? error}`);
  process.exit(1);
}
