// The summarizer page: sends the text to POST /summarize and shows the summary in the text.
"use strict";

(() => {
  const KEY_STORAGE = "bertsum.apiKey";
  const READY_POLL_MS = 2000;
  const MAX_FILE_BYTES = 10 * 1024 * 1024;

  // Each budget the API takes, as the page asks for it; `toApi` turns the number into the field.
  const BUDGETS = {
    num_sentences: {
      label: "Number of sentences", unit: "sentences", min: 1, max: 1000, value: 3,
      toApi: (n) => n,
    },
    ratio: {
      label: "Share of the sentences", unit: "% of the text's sentences", min: 1, max: 100,
      value: 30, toApi: (n) => n / 100,
    },
    max_words: {
      label: "Most words", unit: "words", min: 1, max: 100000, value: 100,
      toApi: (n) => n,
    },
  };

  const $ = (id) => document.getElementById(id);
  const numbers = new Intl.NumberFormat();
  const typed = Object.fromEntries(Object.entries(BUDGETS).map(([k, b]) => [k, String(b.value)]));
  let budgetKind = "num_sentences";
  let readyTimer = null;
  let summaryText = "";

  /** Wire up the controls, restore the API key and start watching readiness. */
  function init() {
    document.querySelector(".skip").addEventListener("click", (event) => {
      event.preventDefault();
      $("text").focus();
    });
    $("form").addEventListener("submit", onSubmit);
    $("text").addEventListener("input", updateCount);
    $("text").addEventListener("keydown", onTextKey);
    $("text").addEventListener("dragover", onDragOver);
    $("text").addEventListener("dragleave", () => $("text").classList.remove("dropping"));
    $("text").addEventListener("drop", onDrop);
    $("load").addEventListener("click", () => $("file").click());
    $("file").addEventListener("change", () => loadFile($("file").files[0]));
    for (const radio of document.querySelectorAll('input[name="budget"]')) {
      radio.addEventListener("change", onBudgetKind);
    }
    $("api-key").value = readKey();
    $("api-key").addEventListener("input", () => storeKey($("api-key").value));
    $("forget-key").addEventListener("click", forgetKey);
    $("copy").addEventListener("click", copySummary);
    $("document").addEventListener("keydown", onDocumentKey);
    $("document").addEventListener("focusin", onSentenceFocus);
    $("document").addEventListener("mouseover", (e) => showScore(e.target.closest(".sentence")));
    updateCount();
    checkReady();
  }

  /** Poll GET /ready until the model is loaded, saying what the service is doing meanwhile. */
  async function checkReady() {
    clearTimeout(readyTimer);
    let state = "down";
    let text = "Cannot reach the service; trying again…";
    try {
      const response = await fetch("ready", { cache: "no-store" });
      const data = await readJson(response);
      [state, text] = describeReadiness(response.status, errorMessage(data));
    } catch {
      // Network failure: keep the wording above and keep polling.
    }
    setStatus(state, text);
    if (state !== "ready") {
      readyTimer = setTimeout(checkReady, READY_POLL_MS);
    }
  }

  /** The status line for a /ready answer: [state, words]. */
  function describeReadiness(status, message) {
    if (status === 200) return ["ready", "Ready."];
    if (/failed to load/.test(message)) {
      return ["down", "The model failed to load; whoever runs the service should check its log."];
    }
    if (/shutting down/.test(message)) return ["down", "The service is shutting down."];
    return ["loading", "The model is loading; this page will say when it is ready…"];
  }

  /** Show the service's state in the status line. */
  function setStatus(state, text) {
    const status = $("status");
    status.dataset.state = state;
    if (status.textContent !== text) status.textContent = text; // announce changes only
  }

  /** Count the characters as the service does (code points, not UTF-16 units). */
  function updateCount() {
    const count = Array.from($("text").value).length;
    $("count").textContent = `${numbers.format(count)} character${count === 1 ? "" : "s"}`;
  }

  /** Ctrl+Enter (or Cmd+Enter) in the text area summarizes. */
  function onTextKey(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("form").requestSubmit();
    }
  }

  /** Accept a dragged file on the text area. */
  function onDragOver(event) {
    if (event.dataTransfer && Array.from(event.dataTransfer.types).includes("Files")) {
      event.preventDefault();
      $("text").classList.add("dropping");
    }
  }

  /** Load a file dropped on the text area. */
  function onDrop(event) {
    $("text").classList.remove("dropping");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) {
      event.preventDefault();
      loadFile(file);
    }
  }

  /** Put a plain-text file's contents into the text area. */
  async function loadFile(file) {
    if (!file) return;
    hideError();
    if (file.size > MAX_FILE_BYTES) {
      showError(`“${file.name}” is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB; load a smaller text.`);
      return;
    }
    let text;
    try {
      text = await file.text();
    } catch {
      showError(`“${file.name}” could not be read.`);
      return;
    }
    if (text.includes("\u0000")) {
      showError(`“${file.name}” does not look like plain text; load a .txt file.`);
      return;
    }
    $("text").value = text;
    $("file").value = "";
    updateCount();
    $("text").focus();
  }

  /** Switch the number field to the chosen kind of budget, keeping what was typed for each. */
  function onBudgetKind(event) {
    typed[budgetKind] = $("amount").value;
    budgetKind = event.target.value;
    const budget = BUDGETS[budgetKind];
    const amount = $("amount");
    amount.min = String(budget.min);
    amount.max = String(budget.max);
    amount.value = typed[budgetKind];
    $("amount-label").textContent = budget.label;
    $("amount-unit").textContent = budget.unit;
  }

  /** The budget field of the request, or an Error in plain words when the number is off. */
  function readBudget() {
    const budget = BUDGETS[budgetKind];
    const value = Number($("amount").value);
    if (!Number.isInteger(value) || value < budget.min || value > budget.max) {
      throw new Error(
        `${budget.label}: give a whole number from ${budget.min} to ${numbers.format(budget.max)}.`,
      );
    }
    return { [budgetKind]: budget.toApi(value) };
  }

  /** Send the text to POST /summarize and show the answer or what went wrong. */
  async function onSubmit(event) {
    event.preventDefault();
    hideError();
    const text = $("text").value;
    let budget;
    try {
      budget = readBudget();
    } catch (error) {
      showError(error.message);
      $("amount").focus();
      return;
    }
    const body = {
      text, ...budget, trigram_blocking: $("blocking").checked, include_all_sentences: true,
    };
    setBusy(true);
    try {
      const response = await fetch("summarize", {
        method: "POST", headers: requestHeaders(), body: JSON.stringify(body),
      });
      const data = await readJson(response);
      if (response.ok) {
        showResult(text, data);
      } else {
        failRequest(response, data, text);
      }
    } catch {
      failWith("Could not reach the service. Check that it is running, then try again.");
    } finally {
      setBusy(false);
    }
  }

  /** JSON headers, and the API key as a Bearer token when one is entered. */
  function requestHeaders() {
    const headers = { "Content-Type": "application/json" };
    const key = $("api-key").value.trim();
    if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  /** The body as JSON, or null when it is not JSON. */
  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  /** The message of an API error body, or "" when there is none. */
  function errorMessage(data) {
    return (data && data.error && String(data.error.message)) || "";
  }

  /** Show an API error in plain words; some errors also point at what to do. */
  function failRequest(response, data, text) {
    const message = errorMessage(data);
    failWith(describeError(response.status, message, response.headers, text));
    if (response.status === 401) {
      $("key-box").open = true;
      $("api-key").focus();
    } else if (response.status === 503) {
      checkReady();
    }
  }

  /** What an error answer means, for people. */
  function describeError(status, message, headers, text) {
    switch (status) {
      case 401:
        return $("api-key").value.trim()
          ? "The API key was not accepted. Check it under “API key”, then try again."
          : "This service needs an API key. Enter it under “API key”, then press Summarize again.";
      case 413:
        return "The text is too large to send to this service. Shorten it and try again.";
      case 422:
        return describeInvalid(message, text);
      case 429:
        return `The service is busy right now. Try again in ${headers.get("Retry-After") || "a few"} seconds.`;
      case 503:
        return describeNotReady(message);
      case 504:
        return "The summary took too long. Try again, or try a shorter text.";
      case 500:
        return "Something went wrong on the server while summarizing. Try again in a moment.";
      default:
        return `The service answered ${status}: ${message || "no details"}.`;
    }
  }

  /** What a 422 means: the text is empty, too long, or has no sentences, or a field is off. */
  function describeInvalid(message, text) {
    const tooLong = /longer than (\d+) characters/.exec(message);
    if (tooLong) {
      const limit = numbers.format(Number(tooLong[1]));
      const length = numbers.format(Array.from(text).length);
      return `The text is too long: this service takes at most ${limit} characters, and this one has ${length}. Shorten it and try again.`;
    }
    if (/is empty|at least 1 character/.test(message)) {
      return "There is no text to summarize yet. Paste a text or load a file first.";
    }
    if (/no sentences found/.test(message)) {
      return "No sentences were found in this text, so there is nothing to choose from.";
    }
    return `The service did not accept the request: ${message}`;
  }

  /** What a 503 means: loading, failed to load, or shutting down. */
  function describeNotReady(message) {
    if (/failed to load/.test(message)) {
      return "The model failed to load, so the service cannot summarize. Whoever runs it should check its log.";
    }
    if (/shutting down/.test(message)) {
      return "The service is shutting down. Try again in a moment.";
    }
    return "The model is still loading. The line at the top will say when it is ready; try again then.";
  }

  /** Show an error and hide any earlier result, which no longer matches the request. */
  function failWith(words) {
    $("result").hidden = true;
    showError(words);
  }

  /** Show a message in the alert line. */
  function showError(words) {
    $("error").textContent = words;
    $("error").hidden = false;
  }

  /** Clear the alert line. */
  function hideError() {
    $("error").hidden = true;
    $("error").textContent = "";
  }

  /** Mark the request as running: the button waits and the result is busy. */
  function setBusy(busy) {
    const button = $("summarize");
    button.disabled = busy;
    button.textContent = busy ? "Summarizing…" : "Summarize";
    $("result").setAttribute("aria-busy", String(busy));
  }

  /** Show the summary, a line about it, and the whole text with every sentence shaded. */
  function showResult(text, data) {
    summaryText = data.summary;
    $("summary").textContent = data.summary;
    $("meta").textContent = describeSummary(data);
    $("copy-status").textContent = "";
    $("readout").textContent = "";
    const chosen = new Set(data.sentences.map((s) => s.index));
    renderDocument(text, data.all_sentences || data.sentences, chosen);
    $("result").hidden = false;
    $("summary-heading").focus();
  }

  /** "3 of 24 sentences, 61 words · model id version · 42 ms", led by why when not the model. */
  function describeSummary(data) {
    const words = data.summary.split(/\s+/).filter(Boolean).length;
    const byModel = data.method !== "textrank-fallback";
    const parts = [
      `${data.sentences.length} of ${data.num_document_sentences} sentences, ${numbers.format(words)} words`,
      byModel ? `model ${data.model.id} ${data.model.version}` : "chosen by TextRank, not the model",
      `${Math.round(data.timings.total_ms)} ms`,
    ];
    if (!byModel && data.warning) parts.unshift(data.warning);
    if (data.fewer_sentences_than_requested) {
      parts.unshift("The text has fewer sentences than asked for, so all of them are the summary");
    }
    return parts.join(" · ");
  }

  /** Rebuild the text from its sentences (by code point offsets) and the spaces between them. */
  function renderDocument(text, sentences, chosen) {
    const characters = Array.from(text); // the service's offsets count code points
    const levels = scoreLevels(sentences);
    const pieces = [];
    let position = 0;
    sentences.forEach((sentence, i) => {
      pieces.push(characters.slice(position, sentence.start).join(""));
      const words = characters.slice(sentence.start, sentence.end).join("");
      pieces.push(sentenceElement(words, sentence, chosen.has(sentence.index), levels[i], sentences.length));
      position = sentence.end;
    });
    pieces.push(characters.slice(position).join(""));
    const container = $("document");
    container.replaceChildren(...pieces);
    const first = container.querySelector(".sentence");
    if (first) first.tabIndex = 0;
  }

  /** Each score scaled to [0, 1] between the lowest and the highest score of the text. */
  function scoreLevels(sentences) {
    const scores = sentences.map((s) => s.score);
    const low = Math.min(...scores);
    const spread = Math.max(...scores) - low;
    return scores.map((score) => (spread > 0 ? (score - low) / spread : 1));
  }

  /** One sentence: a <mark> when chosen, shaded by its score, reachable by the arrow keys. */
  function sentenceElement(words, sentence, isChosen, level, total) {
    const element = document.createElement(isChosen ? "mark" : "span");
    element.className = isChosen ? "sentence chosen" : "sentence";
    element.textContent = words;
    element.tabIndex = -1;
    element.dataset.index = String(sentence.index);
    element.dataset.start = String(sentence.start);
    element.dataset.end = String(sentence.end);
    element.dataset.score = String(sentence.score);
    element.style.setProperty("--level", level.toFixed(3));
    element.title = describeSentence(sentence, isChosen, total);
    return element;
  }

  /** "Sentence 4 of 12 · score 0.43 · in the summary". */
  function describeSentence(sentence, isChosen, total) {
    const place = `Sentence ${sentence.index + 1} of ${total}`;
    const score = `score ${sentence.score.toFixed(2)}`;
    return [place, score, isChosen ? "in the summary" : "not chosen"].join(" · ");
  }

  /** Show a sentence's score below the text. */
  function showScore(element) {
    if (element) $("readout").textContent = element.title;
  }

  /** A focused sentence becomes the text's one Tab stop and shows its score. */
  function onSentenceFocus(event) {
    const element = event.target.closest(".sentence");
    if (!element) return;
    for (const other of $("document").querySelectorAll('.sentence[tabindex="0"]')) {
      other.tabIndex = -1;
    }
    element.tabIndex = 0;
    showScore(element);
  }

  /** Arrow keys, Home and End move between sentences. */
  function onDocumentKey(event) {
    const sentences = Array.from($("document").querySelectorAll(".sentence"));
    const here = sentences.indexOf(event.target);
    if (here < 0) return;
    const moves = {
      ArrowRight: here + 1, ArrowDown: here + 1, ArrowLeft: here - 1, ArrowUp: here - 1,
      Home: 0, End: sentences.length - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const target = sentences[Math.max(0, Math.min(sentences.length - 1, moves[event.key]))];
    target.focus();
  }

  /** Copy the summary to the clipboard, saying whether it worked. */
  async function copySummary() {
    const copied = await writeClipboard(summaryText);
    $("copy").focus();
    $("copy-status").textContent = copied
      ? "Copied."
      : "Could not copy; select the summary and copy it by hand.";
  }

  /** The Clipboard API where the browser allows it, else a selection and the copy command. */
  async function writeClipboard(text) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return copyBySelection(text);
    }
  }

  /** Copy through a hidden text area (for pages served over plain HTTP to another host). */
  function copyBySelection(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
    return copied;
  }

  /** The stored API key, or "" (storage may be switched off). */
  function readKey() {
    try {
      return localStorage.getItem(KEY_STORAGE) || "";
    } catch {
      return "";
    }
  }

  /** Keep the API key in this browser only. */
  function storeKey(key) {
    try {
      if (key) localStorage.setItem(KEY_STORAGE, key);
      else localStorage.removeItem(KEY_STORAGE);
    } catch {
      // Storage switched off: the key lasts as long as the page.
    }
  }

  /** Remove the key from the field and from the browser. */
  function forgetKey() {
    $("api-key").value = "";
    storeKey("");
    $("api-key").focus();
  }

  init();
})();
