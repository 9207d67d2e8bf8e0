// "Show more" in the activity feed, in place. Without this script the link opens the
// next page of the feed; with it, the next items are fetched as an HTML fragment
// (feed/after/<cursor>/items/) and added to the list. Focus moves to the first new
// item, so a keyboard or screen-reader user carries on reading where the new items
// begin, and a polite status message says that more were added.
(function () {
  "use strict";

  // The page says when each reaction happened as a date, the same for every visitor
  // (so that it can be cached); here it becomes "3 minutes ago" in the page's language.
  var UNITS = [
    ["year", 365 * 24 * 3600], ["month", 30 * 24 * 3600], ["week", 7 * 24 * 3600],
    ["day", 24 * 3600], ["hour", 3600], ["minute", 60], ["second", 1]
  ];

  function showRelativeTimes(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });
    root.querySelectorAll("time.feed-time[datetime]").forEach(function (time) {
      var seconds = (Date.parse(time.dateTime) - Date.now()) / 1000;
      if (isNaN(seconds)) return;
      for (var i = 0; i < UNITS.length; i++) {
        var size = UNITS[i][1];
        if (Math.abs(seconds) >= size || size === 1) {
          var count = Math.abs(seconds) < 60 ? 0 : Math.trunc(seconds / size);
          time.textContent = format.format(count, Math.abs(seconds) < 60 ? "second" : UNITS[i][0]);
          return;
        }
      }
    });
  }

  // Intl.RelativeTimeFormat costs a long task the first time (its locale data): done
  // when the feed comes near the screen, not while the top of the page is loading.
  function whenNearScreen(element, callback) {
    if (!("IntersectionObserver" in window)) return callback();
    var observer = new IntersectionObserver(function (entries) {
      if (entries.some(function (entry) { return entry.isIntersecting; })) {
        observer.disconnect();
        callback();
      }
    }, { rootMargin: "600px 0px" });
    observer.observe(element);
  }

  function enhance(feed) {
    whenNearScreen(feed, function () { showRelativeTimes(feed); });
    var status = feed.querySelector("[data-feed-status]");
    var busy = false;

    function say(text) {
      if (!status) return;
      // Emptied first so that the same message, said twice, is announced twice.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }

    feed.addEventListener("click", function (event) {
      var link = event.target.closest("[data-feed-more] a");
      if (!link || !feed.contains(link)) return;
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return; // opening in a new tab or window: let the browser do it
      }
      event.preventDefault();
      if (busy) return;
      busy = true;
      link.setAttribute("aria-disabled", "true");

      // The items alone, at their own public (cacheable) address.
      var url = new URL(link.dataset.itemsUrl || link.href, window.location.href);
      fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = html;
          var list = feed.querySelector("[data-feed-list]");
          var newItems = template.content.querySelectorAll("[data-feed-list] > li");
          var first = null;
          newItems.forEach(function (item) {
            showRelativeTimes(item);
            list.appendChild(item);
            first = first || item;
          });
          var oldMore = link.closest("[data-feed-more]");
          var newMore = template.content.querySelector("[data-feed-more]");
          if (newMore) {
            oldMore.replaceWith(newMore);
          } else {
            oldMore.remove();
          }
          if (first) {
            first.setAttribute("tabindex", "-1");
            first.focus();
          }
          say(feed.dataset.loadedText || "");
        })
        .catch(function () {
          link.removeAttribute("aria-disabled");
          say(feed.dataset.failedText || "");
        })
        .finally(function () {
          busy = false;
        });
    });
  }

  document.querySelectorAll("[data-feed]").forEach(enhance);
})();
