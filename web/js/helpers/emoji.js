/** The emoji offered by the pickers, grouped. */
export default class Emoji {
  static QUICK = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

  static GROUPS = [
    ['Smileys', '😀 😃 😄 😁 😆 😅 😂 🤣 😊 😇 🙂 🙃 😉 😌 😍 🥰 😘 😋 😛 😜 🤪 🤨 🧐 🤓 😎 🥳 😏 😒 😞 😔 😟 😕 🙁 😣 😖 😫 😩 🥺 😢 😭 😤 😠 😡 🤯 😳 🥵 🥶 😱 😨 😰 😥 🤗 🤔 🤭 🤫 🤥 😶 😐 😑 😬 🙄 😯 😦 😧 😮 😲 🥱 😴 🤤 😪 😵 🤐 🥴 🤢 🤮 🤧 😷 🤒 🤕'],
    ['Gestures', '👍 👎 👌 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ ✋ 🤚 🖐️ 🖖 👋 👏 🙌 👐 🤲 🙏 ✍️ 💪 🫡 🫶'],
    ['Hearts', '❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝'],
    ['Things', '🎉 🎊 🎈 🎁 🏆 🥇 ⭐ 🌟 ✨ ⚡ 🔥 💯 ✅ ❌ ❓ ❗ 💡 📌 📎 🔗 📝 📅 ⏰ 🚀 🛠️ 🐛 💻 📱 ☕ 🍕 🍺 🌈 ☀️ 🌙 👀 🧠'],
  ].map(([name, list]) => ({ name, emoji: list.split(' ') }));
}
