/* The overview's charts, drawn by Apache ECharts (fetched from the npm registry at install
   time and served by the reporting service) from the figures the page carries in its
   #chart-data element. Without ECharts the page keeps its tables and says so. Each chart
   marks itself data-rendered="true" once drawn (the browser test waits for it). */
"use strict";
(function () {
  const source = document.getElementById("chart-data");
  if (!source) return;
  const data = JSON.parse(source.textContent);
  const boxes = document.querySelectorAll("[data-chart]");
  if (typeof echarts === "undefined") {
    boxes.forEach((box) => { box.textContent = "图表不可用"; box.classList.add("unavailable"); });
    return;
  }
  const COLOURS = {
    红灯: "#d9363e", 黄灯: "#f0a020", 绿灯: "#2f9e44", 已办结: "#4c6ef5",
    已交办: "#94a3b8", 已签收: "#60a5fa", 推进中: "#f59e0b", 申请办结: "#a78bfa", 已暂停: "#9ca3af",
  };
  const font = '"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif';
  const base = { textStyle: { fontFamily: font }, animation: false };

  function pie(values, colours) {
    const entries = Object.entries(values).map(([name, value]) => ({
      name, value, itemStyle: colours && colours[name] ? { color: colours[name] } : undefined,
    }));
    return {
      ...base,
      tooltip: { trigger: "item", formatter: "{b}：{c} 项（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["28%", "50%"], center: ["50%", "45%"],
        avoidLabelOverlap: true, minShowLabelAngle: 1,
        label: { formatter: "{b} {c}", overflow: "none" }, data: entries }],
    };
  }

  const options = {
    status: () => pie(data.status, COLOURS),
    signal: () => pie(data.signal, COLOURS),
    ranking: () => {
      const rows = data.ranking.slice().reverse();
      return {
        ...base,
        tooltip: { trigger: "axis" },
        grid: { left: 8, right: 30, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", max: 100 },
        yAxis: { type: "category", data: rows.map((r) => r.unit),
          axisLabel: { width: 90, overflow: "truncate", interval: 0, fontSize: 11 } },
        series: [{ type: "bar", data: rows.map((r) => r.score), itemStyle: { color: "#a5161d" },
          label: { show: true, position: "right" } }],
      };
    },
    rounds: () => ({
      ...base,
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 8, right: 12, top: 16, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: data.rounds.map((r) => r.label) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "应报", type: "line", data: data.rounds.map((r) => r.owed) },
        { name: "已报", type: "bar", data: data.rounds.map((r) => r.reported), itemStyle: { color: "#2f9e44" } },
        { name: "漏报", type: "bar", data: data.rounds.map((r) => r.missing), itemStyle: { color: "#d9363e" } },
      ],
    }),
  };

  boxes.forEach((box) => {
    const chart = echarts.init(box, null, { renderer: "canvas" });
    chart.on("finished", () => { box.dataset.rendered = "true"; });
    chart.setOption(options[box.dataset.chart]());
    window.addEventListener("resize", () => chart.resize());
  });
})();

/* The filters apply as soon as one changes; an empty choice is left out of the address
   (the API refuses an empty round, and a shorter address is easier to share). */
(function () {
  const form = document.getElementById("filters");
  if (!form) return;
  const submit = () => {
    form.querySelectorAll("select, input[type=hidden]").forEach((field) => {
      field.disabled = field.value === "";
    });
    form.submit();
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  form.querySelectorAll("select").forEach((select) => select.addEventListener("change", submit));
})();
