/* Commenting on a clause in place: a clause's "Write a comment" link opens the comment form
   right under the clause instead of on its own page. Without JavaScript (or when anything
   fails) the link simply leads to the comment page, which does the same job. No framework. */
(function () {
  "use strict";
  var script = document.currentScript;
  var closeLabel = (script && script.getAttribute("data-close-label")) || "Close";
  var open = null; // {link, box}

  function close(returnFocus) {
    if (!open) { return; }
    open.box.parentNode.removeChild(open.box);
    open.link.setAttribute("aria-expanded", "false");
    if (returnFocus) { open.link.focus(); }
    open = null;
  }

  function formPart(doc) {
    // What the comment page shows below its heading and the quoted clause: the form, or why
    // there is none (sign in first, period closed).
    var wrap = doc.querySelector("main .wrap");
    if (!wrap) { return null; }
    var part = document.createDocumentFragment();
    Array.prototype.forEach.call(wrap.children, function (node) {
      if (node.matches("nav, h1, p.muted, section")) { return; }
      part.appendChild(document.importNode(node, true));
    });
    return part.childNodes.length ? part : null;
  }

  function show(link, doc) {
    var part = formPart(doc);
    if (!part) { window.location.href = link.href; return; }
    var heading = doc.querySelector("main h1");
    var box = document.createElement("section");
    box.className = "comment-in-place";
    var title = document.createElement("h2");
    title.className = "comment-in-place-title";
    title.id = "comment-in-place-title";
    title.textContent = heading ? heading.textContent : "";
    box.setAttribute("aria-labelledby", title.id);
    box.appendChild(title);
    box.appendChild(part);
    var closer = document.createElement("button");
    closer.type = "button";
    closer.className = "link-button comment-in-place-close";
    closer.textContent = closeLabel;
    closer.addEventListener("click", function () { close(true); });
    box.appendChild(closer);
    var tools = link.closest(".clause-tools") || link;
    tools.parentNode.insertBefore(box, tools.nextSibling);
    link.setAttribute("aria-expanded", "true");
    open = {link: link, box: box};
    var field = box.querySelector("textarea[name=body]") || box.querySelector("a.button");
    if (field) { field.focus(); } else { title.setAttribute("tabindex", "-1"); title.focus(); }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.comment-link");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    if (open && open.link === link) { close(true); return; }
    close(false);
    fetch(link.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) { show(link, new DOMParser().parseFromString(html, "text/html")); })
      .catch(function () { window.location.href = link.href; });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && open && open.box.contains(document.activeElement)) { close(true); }
  });
}());
